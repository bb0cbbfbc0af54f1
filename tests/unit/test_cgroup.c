// SPDX-License-Identifier: MIT
/* Containers and pods from the cgroup paths each runtime makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/cgroup.h"
#include "fixture.h"

#define ID "3f1c9a7e0b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e"
#define UID "0d3c6a1e-7b2f-4e5a-9c8d-1f2e3a4b5c6d"
#define UID_ "0d3c6a1e_7b2f_4e5a_9c8d_1f2e3a4b5c6d"

static void check(const char *text, int found, const char *runtime,
		  const char *id, const char *pod)
{
	struct sv_container c;

	assert_int_equal(sv_cgroup_container(text, strlen(text), &c), found);
	if (runtime)
		assert_string_equal(c.runtime, runtime);
	else
		assert_null(c.runtime);
	assert_string_equal(c.id, id);
	assert_string_equal(c.pod_uid, pod);
}

static void test_docker(void **state)
{
	(void)state;
	/* systemd cgroup driver, v2 */
	check("0::/system.slice/docker-" ID ".scope\n", 1, "docker", ID, "");
	/* cgroupfs driver, v1 (several hierarchies, same path) */
	check("12:pids:/docker/" ID "\n11:memory:/docker/" ID "\n"
	      "0::/docker/" ID "\n", 1, "docker", ID, "");
	check("5:cpu,cpuacct:/docker/" ID "\n1:name=systemd:/docker/" ID "\n",
	      1, "docker", ID, "");
}

static void test_kubernetes(void **state)
{
	(void)state;
	/* containerd, systemd driver */
	check("0::/kubepods.slice/kubepods-burstable.slice/"
	      "kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID
	      ".scope\n", 1, "containerd", ID, UID);
	/* CRI-O, systemd driver, guaranteed QoS (no class slice) */
	check("0::/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID
	      ".scope\n", 1, "cri-o", ID, UID);
	/* cgroupfs driver: the runtime is not in the path */
	check("0::/kubepods/besteffort/pod" UID "/" ID "\n", 1, NULL, ID, UID);
	/* the pod's own slice: a pod, no container */
	check("0::/kubepods.slice/kubepods-besteffort.slice/"
	      "kubepods-besteffort-pod" UID_ ".slice\n", 1, NULL, "", UID);
}

static void test_other(void **state)
{
	(void)state;
	check("0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
	      "libpod-" ID ".scope/container\n", 1, "podman", ID, "");
	/* no container: a login session, a service, the root */
	check("0::/user.slice/user-0.slice/session-3.scope\n", 0, NULL, "", "");
	check("0::/system.slice/ssh.service\n", 0, NULL, "", "");
	check("0::/\n", 0, NULL, "", "");
	check("", 0, NULL, "", "");
	/* near misses: a short id, a pod segment outside kubepods */
	check("0::/system.slice/docker-3f1c9a7e.scope\n", 0, NULL, "", "");
	check("0::/machine.slice/pod" UID "\n", 0, NULL, "", "");
	/* crio's conmon is not the container */
	check("0::/kubepods.slice/kubepods-pod" UID_ ".slice/crio-conmon-" ID
	      ".scope\n", 1, NULL, "", UID);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_kubernetes),
		cmocka_unit_test(test_other),
	};

	if (unit_filter(argc, argv, tests, UNIT_COUNT(tests)))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
