// SPDX-License-Identifier: GPL-2.0-only
/*
 * A file handler of the Live Update Orchestrator for its selftests.
 *
 * Each open of /dev/liveupdate_test is a small object whose state is one
 * u64.  Its file handler "liveupdate-test-v1" preserves it in one page,
 * { magic, state, checksum }, written at preserve and again at freeze (so
 * a state set after preserve is what the next kernel gets).  In the next
 * kernel claim checks the page and keeps it, retrieve makes a new file
 * with the state, and finish zeroes the page and frees it, retrieved or
 * not.  A second handler, "liveupdate-test-orphan-v1", takes the files
 * asked for it; booted with test_liveupdate.orphan_handler=0 the next
 * kernel does not register it, so LUO must refuse those files (-EIO) and
 * KHO release their pages, zeroed.
 *
 * Writes to a file (one command each):
 *
 *	state=N			the state
 *	fail-freeze[=ERRNO]	its freeze fails with -ERRNO (default EAGAIN),
 *				which refuses the kexec; fail-freeze=0 ends it
 *	bad-state		freeze writes a bad checksum: the next kernel's
 *				claim fails with -EBADMSG
 *	handler=orphan		preserve it with the orphan handler
 *	busy=0|1		can_finish says no while busy (after retrieve)
 *	peek=PFN		the next read shows the first 32 bytes of that
 *				page of RAM, in hex (for checks that memory was
 *				zeroed; this is why it is for test kernels only)
 *
 * A read gives one line of " key=value" pairs: the state, whether and how
 * often it was preserved, frozen (freeze_seq and unfreeze_seq order the
 * calls of all files), unfrozen, un-preserved and retrieved, the PFN of
 * its preserved page, the global claim and finish counts, and the peek.
 */

#define pr_fmt(fmt) "test_liveupdate: " fmt

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/init.h>
#include <linux/kexec_handover.h>
#include <linux/liveupdate.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pfn.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define TEST_LUO_COMPATIBLE		"liveupdate-test-v1"
#define TEST_LUO_ORPHAN_COMPATIBLE	"liveupdate-test-orphan-v1"
#define TEST_LUO_MAGIC	0x3154534554554f4cULL	/* "LUOTEST1" */
#define TEST_LUO_CSUM	0x9e3779b97f4a7c15ULL

static bool orphan_handler = true;
module_param(orphan_handler, bool, 0444);
MODULE_PARM_DESC(orphan_handler,
		 "Register the handler of the files preserved with handler=orphan");

/* What one preserved file hands over, in a page of its own. */
struct test_luo_ser {
	u64 magic;
	u64 state;
	u64 csum;
} __packed;

struct test_luo_file {
	struct mutex lock;		/* everything below */
	u64 state;
	int fail_freeze;		/* errno, or 0 */
	bool bad_state;
	bool orphan;
	bool busy;
	bool retrieved;
	unsigned int preserves, freezes, unfreezes, unpreserves;
	u64 freeze_seq, unfreeze_seq;
	struct folio *folio;		/* while preserved */
	u64 peek_pfn;
	bool peek;
};

/* In the next kernel: what claim restored, until finish. */
struct test_luo_incoming {
	struct folio *folio;
	u64 state;
	struct test_luo_file *file;	/* the retrieved file */
};

static atomic64_t test_luo_seq;
static atomic_t test_luo_claims, test_luo_claim_errors;
static atomic_t test_luo_finished, test_luo_finished_unretrieved;

static const struct file_operations test_luo_fops;

static struct test_luo_file *test_luo_file_alloc(u64 state)
{
	struct test_luo_file *tf = kzalloc(sizeof(*tf), GFP_KERNEL);

	if (tf) {
		mutex_init(&tf->lock);
		tf->state = state;
	}
	return tf;
}

static void test_luo_write_ser(struct test_luo_file *tf)
{
	struct test_luo_ser *ser = folio_address(tf->folio);

	ser->magic = TEST_LUO_MAGIC;
	ser->state = tf->state;
	ser->csum = tf->state ^ TEST_LUO_CSUM ^ tf->bad_state;
}

static struct test_luo_file *test_luo_of(struct file *file)
{
	return file->f_op == &test_luo_fops ? file->private_data : NULL;
}

static bool test_luo_can_preserve(struct liveupdate_file_handler *fh,
				  struct file *file);

static int test_luo_preserve(struct liveupdate_file_op_args *args)
{
	struct test_luo_file *tf = test_luo_of(args->file);
	struct folio *folio;
	int err;

	folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, 0);
	if (!folio)
		return -ENOMEM;
	err = kho_preserve_folio(folio);
	if (err) {
		folio_put(folio);
		return err;
	}
	mutex_lock(&tf->lock);
	tf->folio = folio;
	tf->preserves++;
	test_luo_write_ser(tf);
	mutex_unlock(&tf->lock);
	args->serialized_data = PFN_PHYS(folio_pfn(folio));
	args->private_data = tf;
	return 0;
}

static void test_luo_unpreserve(struct liveupdate_file_op_args *args)
{
	struct test_luo_file *tf = args->private_data;

	mutex_lock(&tf->lock);
	WARN_ON(kho_unpreserve_folio(tf->folio));
	folio_put(tf->folio);
	tf->folio = NULL;
	tf->unpreserves++;
	mutex_unlock(&tf->lock);
}

static int test_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct test_luo_file *tf = args->private_data;
	int err = 0;

	mutex_lock(&tf->lock);
	tf->freezes++;
	tf->freeze_seq = atomic64_inc_return(&test_luo_seq);
	if (tf->fail_freeze)
		err = -tf->fail_freeze;
	else
		test_luo_write_ser(tf);
	mutex_unlock(&tf->lock);
	return err;
}

static void test_luo_unfreeze(struct liveupdate_file_op_args *args)
{
	struct test_luo_file *tf = args->private_data;

	mutex_lock(&tf->lock);
	tf->unfreezes++;
	tf->unfreeze_seq = atomic64_inc_return(&test_luo_seq);
	mutex_unlock(&tf->lock);
}

static void test_luo_release_folio(struct folio *folio)
{
	memset(folio_address(folio), 0, folio_size(folio));
	folio_put(folio);
}

static int test_luo_claim(struct liveupdate_file_op_args *args)
{
	phys_addr_t phys = args->serialized_data;
	struct test_luo_incoming *in;
	struct test_luo_ser *ser;
	struct folio *folio;
	int err = -EINVAL;

	if (!phys || !PAGE_ALIGNED(phys))
		goto fail;
	folio = kho_restore_folio(phys);
	if (!folio)
		goto fail;
	ser = folio_address(folio);
	if (folio_order(folio) || ser->magic != TEST_LUO_MAGIC)
		goto fail_folio;
	err = -EBADMSG;
	if (ser->csum != (ser->state ^ TEST_LUO_CSUM))
		goto fail_folio;
	err = -ENOMEM;
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		goto fail_folio;
	in->folio = folio;
	in->state = ser->state;
	args->private_data = in;
	atomic_inc(&test_luo_claims);
	pr_info("claimed state %#llx at pfn %#lx (%s)\n", in->state,
		folio_pfn(folio), args->handler->compatible);
	return 0;

fail_folio:
	test_luo_release_folio(folio);
fail:
	atomic_inc(&test_luo_claim_errors);
	pr_info("claim of the state at %pa refused: %d\n", &phys, err);
	return err;
}

static int test_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct test_luo_incoming *in = args->private_data;
	struct test_luo_file *tf;
	struct file *file;

	tf = test_luo_file_alloc(in->state);
	if (!tf)
		return -ENOMEM;
	tf->retrieved = true;
	file = anon_inode_getfile("[liveupdate_test]", &test_luo_fops, tf,
				  O_RDWR);
	if (IS_ERR(file)) {
		kfree(tf);
		return PTR_ERR(file);
	}
	/* Like the files of /dev/liveupdate_test: pread() works. */
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	in->file = tf;
	args->file = file;
	return 0;
}

static bool test_luo_can_finish(struct liveupdate_file_op_args *args)
{
	struct test_luo_incoming *in = args->private_data;
	bool busy;

	if (!in->file)
		return true;
	mutex_lock(&in->file->lock);
	busy = in->file->busy;
	mutex_unlock(&in->file->lock);
	return !busy;
}

static void test_luo_finish(struct liveupdate_file_op_args *args)
{
	struct test_luo_incoming *in = args->private_data;

	atomic_inc(&test_luo_finished);
	if (args->retrieve_status <= 0)
		atomic_inc(&test_luo_finished_unretrieved);
	pr_info("finish: state %#llx, %s, page %#lx zeroed and freed\n",
		in->state, args->retrieve_status > 0 ? "retrieved" :
		"never retrieved", folio_pfn(in->folio));
	test_luo_release_folio(in->folio);
	kfree(in);
}

static const struct liveupdate_file_ops test_luo_ops = {
	.can_preserve = test_luo_can_preserve,
	.preserve = test_luo_preserve,
	.unpreserve = test_luo_unpreserve,
	.freeze = test_luo_freeze,
	.unfreeze = test_luo_unfreeze,
	.claim = test_luo_claim,
	.retrieve = test_luo_retrieve,
	.can_finish = test_luo_can_finish,
	.finish = test_luo_finish,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler test_luo_handler = {
	.ops = &test_luo_ops,
	.compatible = TEST_LUO_COMPATIBLE,
};

static struct liveupdate_file_handler test_luo_orphan_handler = {
	.ops = &test_luo_ops,
	.compatible = TEST_LUO_ORPHAN_COMPATIBLE,
};

static bool test_luo_can_preserve(struct liveupdate_file_handler *fh,
				  struct file *file)
{
	struct test_luo_file *tf = test_luo_of(file);

	return tf && tf->orphan == (fh == &test_luo_orphan_handler);
}

static int test_luo_open(struct inode *inode, struct file *file)
{
	struct test_luo_file *tf = test_luo_file_alloc(0);

	if (!tf)
		return -ENOMEM;
	file->private_data = tf;
	return 0;
}

static int test_luo_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t test_luo_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct test_luo_file *tf = file->private_data;
	char *text;
	int len, i;
	ssize_t ret;

	text = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!text)
		return -ENOMEM;
	mutex_lock(&tf->lock);
	len = scnprintf(text, PAGE_SIZE,
			" state=%#llx preserved=%d preserves=%u freezes=%u unfreezes=%u freeze_seq=%llu unfreeze_seq=%llu unpreserves=%u retrieved=%d fail=%d busy=%d pfn=%#lx claims=%d claim_errors=%d finished=%d finished_unretrieved=%d",
			tf->state, !!tf->folio, tf->preserves, tf->freezes,
			tf->unfreezes, tf->freeze_seq, tf->unfreeze_seq,
			tf->unpreserves, tf->retrieved, tf->fail_freeze,
			tf->busy, tf->folio ? folio_pfn(tf->folio) : 0,
			atomic_read(&test_luo_claims),
			atomic_read(&test_luo_claim_errors),
			atomic_read(&test_luo_finished),
			atomic_read(&test_luo_finished_unretrieved));
	if (tf->peek) {
		struct page *page = pfn_to_page(tf->peek_pfn);
		u8 *p = kmap_local_page(page);

		len += scnprintf(text + len, PAGE_SIZE - len, " peek=");
		for (i = 0; i < 32; i++)
			len += scnprintf(text + len, PAGE_SIZE - len, "%02x",
					 p[i]);
		kunmap_local(p);
	}
	len += scnprintf(text + len, PAGE_SIZE - len, "\n");
	mutex_unlock(&tf->lock);
	ret = simple_read_from_buffer(buf, count, ppos, text, len);
	kfree(text);
	return ret;
}

static int test_luo_command(struct test_luo_file *tf, char *cmd)
{
	char *val = strchr(cmd, '=');
	unsigned int n;
	u64 v;

	if (val)
		*val++ = '\0';
	if (!strcmp(cmd, "state") && val)
		return kstrtou64(val, 0, &tf->state);
	if (!strcmp(cmd, "fail-freeze")) {
		if (!val) {
			tf->fail_freeze = EAGAIN;
			return 0;
		}
		if (kstrtouint(val, 0, &n) || n > MAX_ERRNO)
			return -EINVAL;
		tf->fail_freeze = n;
		return 0;
	}
	if (!strcmp(cmd, "bad-state") && !val) {
		tf->bad_state = true;
		return 0;
	}
	if (!strcmp(cmd, "handler") && val && !strcmp(val, "orphan")) {
		if (tf->folio)
			return -EBUSY;
		tf->orphan = true;
		return 0;
	}
	if (!strcmp(cmd, "busy") && val)
		return kstrtobool(val, &tf->busy);
	if (!strcmp(cmd, "peek") && val) {
		if (kstrtou64(val, 0, &v))
			return -EINVAL;
		if (!pfn_valid(v) || !page_is_ram(v))
			return -EFAULT;
		tf->peek_pfn = v;
		tf->peek = true;
		return 0;
	}
	return -EINVAL;
}

static ssize_t test_luo_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct test_luo_file *tf = file->private_data;
	char cmd[64];
	int err;

	if (!count || count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, buf, count))
		return -EFAULT;
	cmd[count] = '\0';
	strim(cmd);
	mutex_lock(&tf->lock);
	err = test_luo_command(tf, cmd);
	mutex_unlock(&tf->lock);
	return err ? err : count;
}

static const struct file_operations test_luo_fops = {
	.owner = THIS_MODULE,
	.open = test_luo_open,
	.release = test_luo_release,
	.read = test_luo_read,
	.write = test_luo_write,
	.llseek = default_llseek,
};

static struct miscdevice test_luo_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "liveupdate_test",
	.fops = &test_luo_fops,
};

static int __init test_liveupdate_init(void)
{
	int err;

	if (!liveupdate_enabled())
		return 0;
	err = liveupdate_register_file_handler(&test_luo_handler);
	if (err) {
		pr_err("cannot register %s: %d\n", test_luo_handler.compatible,
		       err);
		return err;
	}
	if (orphan_handler) {
		err = liveupdate_register_file_handler(&test_luo_orphan_handler);
		if (err)
			pr_err("cannot register %s: %d\n",
			       test_luo_orphan_handler.compatible, err);
	}
	err = misc_register(&test_luo_misc);
	if (err)
		pr_err("cannot register /dev/%s: %d\n", test_luo_misc.name,
		       err);
	pr_info("handlers registered%s, /dev/%s\n",
		orphan_handler ? "" : " (not the orphan one)",
		test_luo_misc.name);
	return err;
}
device_initcall(test_liveupdate_init);
