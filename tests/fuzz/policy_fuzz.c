// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the policy parser, validator and compiler (without file
 * access), the zone-file reader on the same bytes, and the writers on every
 * image that compiles. Build with `make fuzz`, run with `make fuzz-policy`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy/policy.h"
#include "policy/tables.h"

static void run_zone_text(const uint8_t *data, size_t size)
{
	struct sov_policy_image img = { 0 };
	struct sov_img_zone zones[2] = { { .name = "unknown", .id = 0 },
					 { .name = "z", .id = 1 } };
	struct zone_builder zb;
	struct sov_diags d;
	int src;

	sovp_zb_init(&zb);
	sov_diags_init(&d);
	img.zones = zones;
	img.n_zones = 2;
	src = sovp_zb_source(&zb, "zone.txt");
	if (src >= 0 &&
	    !sovp_zb_parse_zone_text(&zb, (uint32_t)src, (const char *)data, size, 1,
				     ZB_PRIO_EXPLICIT, &d) &&
	    !sovp_zb_finish(&zb, &img, &d, 1)) {
		uint8_t a[16] = { 0 };
		size_t i;

		for (i = 0; i < size && i < 16; i++)
			a[i] = data[i];
		sov_policy_zone_of(&img, 2, a);
		sov_policy_zone_of(&img, 10, a);
	}
	img.zones = NULL;
	free(img.v4);
	free(img.v6);
	sovp_lpm_free(img.lpm);
	sov_diags_free(&d);
	sovp_zb_free(&zb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sov_policy_opts opts = { .flags = SOV_POLICY_F_NO_FS };
	struct sov_policy_image *img = NULL;
	struct sov_diags d;
	FILE *null;

	sov_diags_init(&d);
	if (!sov_policy_compile_buffer("fuzz.yaml", data, size, &opts, &img, &d) && img) {
		char names[1024];
		uint8_t a[16] = { 10, 10, 0, 1 };

		null = fopen("/dev/null", "w");
		if (null) {
			sov_policy_write_json(img, null);
			sov_policy_write_text(img, null);
			fclose(null);
		}
		sov_policy_zone_of(img, 2, a);
		sov_policy_zone_of(img, 10, a);
		sov_policy_class_names(img, ~0ull, names, sizeof(names));
	}
	null = fopen("/dev/null", "w");
	if (null) {
		sov_diags_print(&d, null);
		fclose(null);
	}
	sov_policy_free(img);
	sov_diags_free(&d);
	run_zone_text(data, size);
	return 0;
}
