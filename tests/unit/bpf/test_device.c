// SPDX-License-Identifier: Apache-2.0
/*
 * The RDMA device rule of bpf/rules.h (sov_rdma_dev()) with a mock of
 * sov_rdma_devs, and the verdict a tainted process gets for the rdma
 * channel; plus abi.h's device numbering against libc's makedev() layout
 * as the kernel numbers devices (major << 20 | minor).
 */
#include <stdint.h>
#include <string.h>

#include "tests/lib/tap.h"
#include "bpf/rules.h"

#define BIT(c)		(1ull << (c))

/* The mock map: what sovd would have written on a host with ib_uverbs (a
 * dynamic major 240), ib_umad (241) and rdma_ucm (misc 10:58). */
static const __u32 known_keys[] = {
	SOV_DEV(240, SOV_DEV_ANY_MINOR), SOV_DEV(241, SOV_DEV_ANY_MINOR), SOV_DEV(10, 58),
};
static int lookups;

static int known(__u32 key)
{
	lookups++;
	for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
		if (known_keys[i] == key)
			return 1;
	return 0;
}

static void test_devices(void)
{
	lookups = 0;
	ASSERT_TRUE(sov_rdma_dev(231, 192, known), "uverbs0 (231:192) is RDMA");
	ASSERT_TRUE(sov_rdma_dev(231, 0, known), "umad0 (231:0) is RDMA");
	ASSERT_TRUE(sov_rdma_dev(231, 64, known), "issm0 (231:64) is RDMA");
	ASSERT_EQ(lookups, 0, "the fixed major costs no lookup");
	ASSERT_TRUE(sov_rdma_dev(240, 0, known), "a dynamic uverbs major, minor 0");
	ASSERT_TRUE(sov_rdma_dev(240, 4095, known), "a dynamic uverbs major, any minor");
	ASSERT_TRUE(sov_rdma_dev(241, 7, known), "a dynamic umad major");
	ASSERT_TRUE(sov_rdma_dev(10, 58, known), "rdma_cm (misc 10:58)");
	ASSERT_TRUE(!sov_rdma_dev(10, 59, known), "another misc device (10:59) is not");
	ASSERT_TRUE(!sov_rdma_dev(1, 3, known), "/dev/null (1:3) is not");
	ASSERT_TRUE(!sov_rdma_dev(242, 0, known), "an unknown dynamic major is not");
	lookups = 0;
	sov_rdma_dev(1, 3, known);
	sov_rdma_dev(4, 1, known);
	sov_rdma_dev(136, 0, known);
	ASSERT_EQ(lookups, 0, "a fixed major (null, tty, pts) costs no lookup");
	ASSERT_TRUE(!sov_rdma_dev(255, 0, known) && !sov_rdma_dev(233, 0, known) &&
		    !sov_rdma_dev(383, 0, known) && !sov_rdma_dev(512, 0, known),
		    "majors outside the dynamic ranges are not");
	ASSERT_EQ(lookups, 0, "  and cost no lookup");
	sov_rdma_dev(10, 1, known);
	ASSERT_EQ(lookups, 2, "a misc device: two lookups (whole major, then the device)");
	lookups = 0;
	ASSERT_TRUE(sov_rdma_dev(400, 3, known) == 0 && lookups == 2,
		    "a major of the extended dynamic range (384..511) is looked up");
	ASSERT_EQ(SOV_DEV(231, 192), (231u << 20) | 192, "SOV_DEV is the kernel's MKDEV");
	ASSERT_EQ(SOV_DEV(10, 0x1FFFFF), (10u << 20) | 0xFFFFF, "SOV_DEV masks the minor");
}

static void test_verdict(void)
{
	struct sov_config cfg = { .block_classes = BIT(0), .mode = SOV_MODE_ENFORCE };
	__u64 violated = 0;

	ASSERT_EQ(sov_channel_rule(BIT(0), &cfg, SOV_CHAN_RDMA, &violated), SOV_VERDICT_DENY,
		  "a block class is refused the rdma channel");
	ASSERT_EQ(violated, BIT(0), "  and is reported violated");
	ASSERT_EQ(sov_channel_rule(BIT(1), &cfg, SOV_CHAN_RDMA, &violated), SOV_VERDICT_AUDIT,
		  "an audit class keeps it (audit)");
	cfg.mode = SOV_MODE_AUDIT;
	ASSERT_EQ(sov_channel_rule(BIT(0), &cfg, SOV_CHAN_RDMA, &violated), SOV_VERDICT_AUDIT,
		  "audit mode: a block class is an audit");
}

int main(void)
{
	test_devices();
	test_verdict();
	return tap_done();
}
