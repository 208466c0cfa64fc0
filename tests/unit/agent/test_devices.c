// SPDX-License-Identifier: Apache-2.0
/*
 * rdma_devs_scan(): which RDMA devices sovd writes into sov_rdma_devs,
 * from a /proc/devices and a rdma_cm dev file written here (no root).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sov/abi.h"
#include "agent/devices.h"
#include "tests/lib/tap.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

int main(void)
{
	char dir[] = "/tmp/sovt-devices.XXXXXX", pd[64], cm[64];
	struct rdma_dev d[8];
	size_t n;

	if (!mkdtemp(dir))
		return 2;
	snprintf(pd, sizeof(pd), "%s/devices", dir);
	snprintf(cm, sizeof(cm), "%s/rdma_cm", dir);

	write_file(pd, "Character devices:\n  1 mem\n 10 misc\n231 infiniband_verbs\n"
		       "231 infiniband_mad\n240 infiniband_verbs\n241 infiniband_mad\n"
		       "\nBlock devices:\n242 infiniband_verbs\n");
	write_file(cm, "10:58\n");
	n = rdma_devs_scan(pd, cm, d, 8);
	ASSERT_EQ(n, 3, "two dynamic majors and rdma_cm (231 is in the rule; block devices are not)");
	ASSERT_EQ(d[0].key, SOV_DEV(240, SOV_DEV_ANY_MINOR), "infiniband_verbs' dynamic major, every minor");
	ASSERT_EQ(d[0].kind, SOV_RDMA_VERBS, "  as verbs");
	ASSERT_EQ(d[1].key, SOV_DEV(241, SOV_DEV_ANY_MINOR), "infiniband_mad's dynamic major");
	ASSERT_EQ(d[1].kind, SOV_RDMA_MAD, "  as mad");
	ASSERT_EQ(d[2].key, SOV_DEV(10, 58), "rdma_cm's misc minor");
	ASSERT_EQ(d[2].kind, SOV_RDMA_CM, "  as cm");
	ASSERT_EQ(rdma_devs_scan(pd, cm, d, 2), 2, "at most max entries");

	unlink(cm);
	write_file(pd, "Character devices:\n  1 mem\n231 infiniband_verbs\n");
	ASSERT_EQ(rdma_devs_scan(pd, cm, d, 8), 0, "only the fixed major, no rdma_cm: nothing to add");
	unlink(pd);
	ASSERT_EQ(rdma_devs_scan(pd, cm, d, 8), 0, "no files: nothing (the fixed major still holds)");
	rmdir(dir);
	return tap_done();
}
