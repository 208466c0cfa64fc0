# Cross-building for arm64 on an x86 host: make ARCH=arm64 (into
# build-arm64/). The compiler is Debian's gcc-aarch64-linux-gnu with its
# libc (tools/install-deps --arm64); sovd's libraries (libbpf, libelf, zlib,
# OpenSSL, libyaml, json-c, libloc) are Debian 12's arm64 packages unpacked
# into $(SYSROOT) by tools/arm64-sysroot, which also gives the BTF of
# Debian 12's arm64 kernel for vmlinux.h. The machine's apt configuration
# and multiarch setup are not touched. The BPF objects get
# -D__TARGET_ARCH_arm64 (Makefile) and the arm64 syscall table
# (tools/gen-syscalls with the cross preprocessor).
ifneq ($(ARCH),$(HOST_ARCH))
ifneq ($(ARCH)-$(HOST_ARCH),arm64-x86)
$(error ARCH=$(ARCH) on $(HOST_ARCH): cross-builds are made for arm64 on x86 only)
endif

CROSS_COMPILE	?= aarch64-linux-gnu-
ifneq ($(origin CC),command line)
CC		:= $(CROSS_COMPILE)gcc
endif
SYSROOT		?= $(BUILD)/sysroot
SYSROOT_USR	:= $(abspath $(SYSROOT))/root/usr
SYSROOT_LIB	:= $(SYSROOT_USR)/lib/aarch64-linux-gnu
ifneq ($(origin VMLINUX_BTF),command line)
VMLINUX_BTF	:= $(SYSROOT)/vmlinux.btf
endif

# Recursive (=): the sysroot exists only once $(SYSROOT)/packages is made.
CROSS_PKG_CONFIG = PKG_CONFIG_LIBDIR=$(SYSROOT_LIB)/pkgconfig:$(SYSROOT_USR)/share/pkgconfig \
		   PKG_CONFIG_SYSROOT_DIR=$(abspath $(SYSROOT))/root pkg-config
PKG_CFLAGS	= -I$(SYSROOT_USR)/include -I$(SYSROOT_USR)/include/aarch64-linux-gnu \
		  $(shell $(CROSS_PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	= -L$(SYSROOT_LIB) -Wl,-rpath-link,$(SYSROOT_LIB) \
		  $(shell $(CROSS_PKG_CONFIG) --libs $(PKGS) 2>/dev/null || \
			  echo -lbpf -lyaml -lssl -lcrypto -lz -ljson-c -lloc)

.PHONY: deps-arm64
deps-arm64:
	$(Q)tools/install-deps --arm64 --check >/dev/null 2>&1 || tools/install-deps --arm64

$(SYSROOT)/packages: tools/arm64-sysroot | deps-arm64
	$(call msg,SYSROOT,$(SYSROOT))
	$(Q)tools/arm64-sysroot $(SYSROOT)

# Everything compiled or generated waits for the sysroot.
$(BUILD)/sov_syscalls.h $(BUILD)/vmlinux.h: | $(SYSROOT)/packages
endif
