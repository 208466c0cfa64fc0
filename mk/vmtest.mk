# vmtest: the scenario suite on stock Debian kernels under QEMU (TCG).
# Kernels, their modules and the initramfs images are cached in
# $(BUILD)/vmtest/; serial logs land there too, one per boot.
# See docs/kernels.md. VMTEST_ONLY=regex boots a subset, VMTEST_KVM=1 uses KVM.

.PHONY: vmtest
vmtest: build-all
	$(Q)tools/vmtest/run $(BUILD) $(CURDIR)

TEST_SCRIPTS += tests/vm/vmtest.t
