# vmtest: the scenario suite on stock Debian kernels under QEMU (TCG).
# Kernels, their modules and the initramfs images are cached in
# $(BUILD)/vmtest/; serial logs land there too, one per boot.
# See docs/kernels.md. VMTEST_ONLY=regex boots a subset, VMTEST_KVM=1 uses KVM.

.PHONY: vmtest
vmtest: build-all
	$(Q)tools/vmtest/run $(BUILD) $(CURDIR)

TEST_SCRIPTS += tests/vm/vmtest.t tests/vm/verdicts.t

# vmtest-all: the matrix plus the boots of tools/vmtest/matrix-all (kernels
# not yet in the default matrix, docs/kernels.md), then the arm64 boots
# (make vmtest-arm64). Not part of make test.
.PHONY: vmtest-all
vmtest-all: build-all
	$(Q)VMTEST_MATRIX="$(CURDIR)/tools/vmtest/matrix $(CURDIR)/tools/vmtest/matrix-all" \
		tools/vmtest/run $(BUILD) $(CURDIR)
	$(Q)$(MAKE) --no-print-directory vmtest-arm64
