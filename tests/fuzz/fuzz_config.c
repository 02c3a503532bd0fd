/*
 * fuzz_config: config_load_file() on an arbitrary file.
 *
 * The input is written to a memory file and read back through its
 * /proc/self/fd path, so the reader sees it exactly as it would a file on
 * disk. Whatever the bytes, the load returns 0 or -1, a -1 comes with a
 * reason, and a loaded config stays within its own limits.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_config_require(int ok)
{
    if (!ok)
        abort();
}

/* A memory file holding data, or -1. */
static int fuzz_config_file(const uint8_t *data, size_t size)
{
    int fd = memfd_create("npdlink-fuzz-config", MFD_CLOEXEC);
    size_t done = 0;

    if (fd < 0)
        return -1;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);

        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    return fd;
}

static int fuzz_config_terminated(const char *s)
{
    return memchr(s, '\0', CONFIG_STR) != NULL;
}

static void fuzz_config_check(const struct config *c)
{
    fuzz_config_require(c->npermissions <= CONFIG_MAX_PERMS);
    for (size_t i = 0; i < c->npermissions; i++)
        fuzz_config_require(c->permissions[i] != NULL &&
                            c->permissions[i][0] != '\0');

    fuzz_config_require(fuzz_config_terminated(c->base_url));
    fuzz_config_require(fuzz_config_terminated(c->project_id));
    fuzz_config_require(fuzz_config_terminated(c->key_file));
    fuzz_config_require(fuzz_config_terminated(c->ca_file));
    fuzz_config_require(fuzz_config_terminated(c->mytax_url));
    fuzz_config_require(fuzz_config_terminated(c->audit_file));
    for (int i = 0; i < API_CALL_COUNT; i++)
        fuzz_config_require(fuzz_config_terminated(c->paths[i]));

    fuzz_config_require(c->connect_timeout_ms >= 1 &&
                        c->connect_timeout_ms <= 120000);
    fuzz_config_require(c->total_timeout_ms >= 1 &&
                        c->total_timeout_ms <= 600000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[256] = "";
    struct config c;
    int fd = fuzz_config_file(data, size);
    int rc;

    if (fd < 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    config_defaults(&c);
    rc = config_load_file(&c, path, 1, err, sizeof(err));
    fuzz_config_require(rc == 0 || rc == -1);
    fuzz_config_require(memchr(err, '\0', sizeof(err)) != NULL);
    if (rc == -1)
        fuzz_config_require(err[0] != '\0');
    else
        fuzz_config_check(&c);

    /* The checks of a production run must cope with whatever loaded. */
    err[0] = '\0';
    if (config_validate(&c, err, sizeof(err)) != 0)
        fuzz_config_require(err[0] != '\0');

    config_free(&c);
    close(fd);
    return 0;
}
