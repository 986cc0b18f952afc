/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luo_guest.rom: the guest of luo_qemu, as small as a guest can be.
 *
 * QEMU maps it as the firmware (-bios, 64 KiB at the top of the first
 * megabyte and of 4 GiB) and the CPU starts it at the reset vector, in
 * real mode.  It needs no BIOS: it enters unreal mode (a 4 GiB %es) to
 * reach the local APIC and all of its RAM, routes the PIC to the CPU
 * (LINT0 as ExtINT), runs the PIT at 20 Hz, and writes a tag into the
 * first word of every 4 KiB page from 1 MiB to the top of its RAM (which
 * it reads from the CMOS).  Then it sleeps (hlt); on every timer tick it
 * increments a counter kept in RAM, checks every page tag and prints
 *
 *	luo-guest: tick COUNT bad WRONG_TAGS
 *
 * on its serial port.  It prints "luo-guest: boot N ..." only when it
 * starts from the reset vector, N counting its boots in RAM: a guest
 * resumed on the same RAM goes on counting without that line.
 *
 * Built with gcc -m32 -c and ld -m elf_i386 --oformat binary (Makefile).
 */
	.code16
	.text
	.globl	_start
#define TAG		0x6c756f21
#define BOOTS		0x500
#define COUNTER		0x504
#define TOP		0x508
#define BAD		0x50c
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x7000, %sp
	cld
	/* unreal mode: %es with a 4 GiB limit */
	lgdtl	%cs:gdtr
	movl	%cr0, %eax
	orb	$1, %al
	movl	%eax, %cr0
	jmp	1f
1:	movw	$8, %bx
	movw	%bx, %es
	andb	$0xfe, %al
	movl	%eax, %cr0
	jmp	2f
2:	xorw	%ax, %ax
	movw	%ax, %es
	/* local APIC: software enabled, LINT0 ExtINT, so that the PIC reaches the CPU */
	movl	$0xfee000f0, %ebx
	movl	$0x1ff, %es:(%ebx)
	movl	$0xfee00350, %ebx
	movl	$0x700, %es:(%ebx)
	/* IRQ 0 at vector 0x20 */
	movw	$irq0, 0x80
	movw	%cs, %ax
	movw	%ax, 0x82
	movb	$0x11, %al
	outb	%al, $0x20
	outb	%al, $0xa0
	movb	$0x20, %al
	outb	%al, $0x21
	movb	$0x28, %al
	outb	%al, $0xa1
	movb	$0x04, %al
	outb	%al, $0x21
	movb	$0x02, %al
	outb	%al, $0xa1
	movb	$0x01, %al
	outb	%al, $0x21
	outb	%al, $0xa1
	movb	$0xfe, %al
	outb	%al, $0x21
	movb	$0xff, %al
	outb	%al, $0xa1
	/* PIT channel 0, mode 2, 20 Hz */
	movb	$0x34, %al
	outb	%al, $0x43
	movw	$59659, %ax
	outb	%al, $0x40
	movb	%ah, %al
	outb	%al, $0x40
	/* top of RAM below 4 GiB: 16 MiB + CMOS[0x34..0x35] * 64 KiB */
	movb	$0x35, %al
	outb	%al, $0x70
	inb	$0x71, %al
	movb	%al, %ah
	movb	$0x34, %al
	outb	%al, $0x70
	inb	$0x71, %al
	movzwl	%ax, %eax
	shll	$16, %eax
	addl	$0x1000000, %eax
	movl	%eax, TOP
	/* tag every page from 1 MiB up with its own address */
	movl	$0x100000, %ebx
3:	movl	%ebx, %eax
	xorl	$TAG, %eax
	movl	%eax, %es:(%ebx)
	addl	$0x1000, %ebx
	cmpl	TOP, %ebx
	jb	3b
	incl	BOOTS
	movw	$msg_boot, %si
	call	puts
	movl	BOOTS, %eax
	call	putu
	movw	$msg_counter, %si
	call	puts
	movl	COUNTER, %eax
	call	putu
	movw	$msg_ram, %si
	call	puts
	movl	TOP, %eax
	shrl	$20, %eax
	call	putu
	movw	$msg_mib, %si
	call	puts
	sti
4:	hlt
	jmp	4b

/* Every tick: count, check every page tag, report. */
irq0:
	pushal
	incl	COUNTER
	xorl	%ecx, %ecx
	movl	$0x100000, %ebx
5:	movl	%ebx, %eax
	xorl	$TAG, %eax
	cmpl	%eax, %es:(%ebx)
	je	6f
	incl	%ecx
6:	addl	$0x1000, %ebx
	cmpl	TOP, %ebx
	jb	5b
	movl	%ecx, BAD
	movw	$msg_tick, %si
	call	puts
	movl	COUNTER, %eax
	call	putu
	movw	$msg_bad, %si
	call	puts
	movl	BAD, %eax
	call	putu
	movb	$'\n', %al
	call	putc
	movb	$0x20, %al
	outb	%al, $0x20
	popal
	iret

putc:
	pushw	%dx
	pushw	%ax
	movw	$0x3fd, %dx
7:	inb	%dx, %al
	testb	$0x20, %al
	jz	7b
	popw	%ax
	movw	$0x3f8, %dx
	outb	%al, %dx
	popw	%dx
	ret

puts:
	cs lodsb
	testb	%al, %al
	jz	8f
	call	putc
	jmp	puts
8:	ret

putu:
	movl	$10, %ecx
	xorw	%bx, %bx
9:	xorl	%edx, %edx
	divl	%ecx
	pushw	%dx
	incw	%bx
	testl	%eax, %eax
	jnz	9b
10:	popw	%ax
	addb	$'0', %al
	call	putc
	decw	%bx
	jnz	10b
	ret

	.balign	8
gdt:	.quad	0
	.quad	0x00cf92000000ffff
gdtr:	.word	15
	.long	0xf0000 + gdt

msg_boot:	.asciz	"luo-guest: boot "
msg_counter:	.asciz	" counter "
msg_ram:	.asciz	" ram "
msg_mib:	.asciz	" MiB\n"
msg_tick:	.asciz	"luo-guest: tick "
msg_bad:	.asciz	" bad "

	.org	0xfff0
	ljmp	$0xf000, $_start
	.org	0x10000
