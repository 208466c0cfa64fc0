# vmtest-arm64: the scenario suite on Debian 12's arm64 kernel under
# qemu-system-aarch64 (TCG), with the cross-built arm64 programs
# (make ARCH=arm64 into $(ARM64_BUILD), made by tools/vmtest/prepare-arm64
# before the boot). The boots: tools/vmtest/matrix-arm64.
# Not part of make test or make vmtest: the whole suite passes there, but
# the boot adds about 6 minutes to the matrix on this 2-CPU machine
# (docs/kernels.md, arm64).
ARM64_BUILD	?= build-arm64

ifeq ($(ARCH),$(HOST_ARCH))
.PHONY: vmtest-arm64
vmtest-arm64: | $(BUILD)
	$(Q)VMTEST_MATRIX=$(CURDIR)/tools/vmtest/matrix-arm64 VMTEST_ARM64_BUILD=$(abspath $(ARM64_BUILD)) \
		tools/vmtest/run $(BUILD) $(CURDIR)
endif
