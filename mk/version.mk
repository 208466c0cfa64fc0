# The version both binaries print (--version) and sovd writes into its
# journal's agent start record: `git describe` at build time, else the
# VERSION given on the command line, else "unknown". Rewritten only when it
# changes, so a rebuild touches only what includes it.
VERSION		?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)

$(BUILD)/sov_version.h: FORCE | $(BUILD)
	$(Q)printf '#define SOV_VERSION "%s"\n' '$(VERSION)' > $@.tmp
	$(Q)if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

ALL_TARGETS	+= $(BUILD)/sov_version.h

# Generated header: there before any object of the binaries compiles.
$(SOVD_OBJS) $(SOVCTL_OBJS): | $(BUILD)/sov_version.h
