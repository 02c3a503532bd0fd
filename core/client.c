/*
 * client: signed Bank 131 requests handed to net.
 *
 * The signature covers exactly the bytes passed as the body, which are
 * also exactly the bytes net sends; nothing re-serialises in between.
 */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

enum { HDR_MAX = 8 };

struct client {
    struct net *net;
    struct sign_key *key;
    char *base_url;
    char *project_id;
    char *paths[API_CALL_COUNT];
};

/* A CR or LF in a header value would start a header of its own. */
static int client_header_safe(const char *v)
{
    return v != NULL && strpbrk(v, "\r\n") == NULL;
}

static char *client_base_copy(const char *url)
{
    size_t len = strlen(url);

    while (len > 0 && url[len - 1] == '/')
        len--;
    return strndup(url, len);
}

struct client *client_new(const struct client_config *cfg, struct net *net)
{
    struct client *c;
    int i, bad = 0;

    if (cfg == NULL || net == NULL || cfg->key == NULL ||
        cfg->base_url == NULL || !client_header_safe(cfg->project_id))
        return NULL;

    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->net = net;
    c->key = cfg->key;

    c->base_url = client_base_copy(cfg->base_url);
    c->project_id = strdup(cfg->project_id);
    bad = c->base_url == NULL || c->project_id == NULL;
    for (i = 0; i < API_CALL_COUNT && !bad; i++) {
        bad = cfg->paths[i] == NULL ||
              (c->paths[i] = strdup(cfg->paths[i])) == NULL;
    }

    if (bad) {
        client_free(c);
        return NULL;
    }
    return c;
}

static void client_headers_free(char **h)
{
    int i;

    for (i = 0; i < HDR_MAX; i++)
        free(h[i]);
}

static char *client_header(const char *name, const char *value)
{
    char *line;

    if (asprintf(&line, "%s: %s", name, value) < 0)
        return NULL;
    return line;
}

/* Fills h with "Name: value" lines, NULL-terminated. */
static int client_headers_build(const struct client *c, const char *sig,
                                const char *idem, char **h)
{
    int k = 0, bad = 0;

    h[k++] = client_header("Content-Type", "application/json");
    h[k++] = client_header("Accept", "application/json");
    h[k++] = client_header("User-Agent", "npdlink/" NPD_VERSION);
    h[k++] = client_header("X-PARTNER-PROJECT", c->project_id);
    h[k++] = client_header("X-PARTNER-SIGN", sig);
    if (idem != NULL && idem[0] != '\0')
        h[k++] = client_header("X-PARTNER-IDEMPOTENCY-KEY", idem);

    while (k-- > 0)
        bad |= h[k] == NULL;
    return bad ? -1 : 0;
}

static char *client_url_for(const struct client *c, enum api_call call)
{
    char *url;

    if (asprintf(&url, "%s%s", c->base_url, c->paths[call]) < 0)
        return NULL;
    return url;
}

static int client_post(struct client *c, enum api_call call, const char *body,
                       const char *sig, const char *idem, unsigned long tag,
                       char *err, size_t errlen)
{
    char *h[HDR_MAX] = {0};
    char *url = client_url_for(c, call);
    int rc = -1;

    if (url == NULL || client_headers_build(c, sig, idem, h) != 0)
        err_set(err, errlen, "out of memory");
    else if (net_post(c->net, url, (const char *const *)h, body, strlen(body),
                      tag) != 0)
        err_set(err, errlen, "could not start the %s request",
                api_call_name(call));
    else
        rc = 0;

    client_headers_free(h);
    free(url);
    return rc;
}

int client_send(struct client *c, enum api_call call, const char *body,
                const char *idempotency_key, unsigned long tag, char *err,
                size_t errlen)
{
    char *sig = NULL;
    int rc;

    if (c == NULL || body == NULL || (unsigned)call >= API_CALL_COUNT) {
        err_set(err, errlen, "bad request");
        return -1;
    }

    if (idempotency_key != NULL && !client_header_safe(idempotency_key)) {
        err_set(err, errlen, "idempotency key has a line break");
        return -1;
    }

    if (sign_body(c->key, body, strlen(body), &sig, err, errlen) != 0)
        return -1;

    if (!client_header_safe(sig)) {
        free(sig);
        err_set(err, errlen, "signature has a line break");
        return -1;
    }

    rc = client_post(c, call, body, sig, idempotency_key, tag, err, errlen);
    free(sig);
    return rc;
}

void client_free(struct client *c)
{
    int i;

    if (c == NULL)
        return;

    for (i = 0; i < API_CALL_COUNT; i++)
        free(c->paths[i]);
    free(c->project_id);
    free(c->base_url);
    free(c);
}
