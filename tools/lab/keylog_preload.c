/*
 * keylog_preload.c - LD_PRELOAD shim that makes any OpenSSL 3 program write an
 * NSS key log (the SSLKEYLOGFILE format Wireshark/tshark read).
 *
 * FreeRDP 2 and xrdp do not honour SSLKEYLOGFILE.  This library wraps
 * SSL_CTX_new() (and SSL_new() as a safety net), installs a key-log callback
 * on every SSL_CTX, and appends each line to the file named by $SSLKEYLOGFILE.
 * The file is opened with O_APPEND for every line (mode 0600) so that several
 * processes (client and server) can share one file.
 *
 * Build: gcc -shared -fPIC -O2 -o keylog_preload.so keylog_preload.c -ldl
 * Use:   SSLKEYLOGFILE=/path/keys.log LD_PRELOAD=/path/keylog_preload.so prog ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/ssl.h>

static void keylog_cb(const SSL *ssl, const char *line)
{
    (void)ssl;
    const char *path = getenv("SSLKEYLOGFILE");
    if (!path || !*path || !line)
        return;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    size_t n = strlen(line);
    char *buf = malloc(n + 1);
    if (buf) {
        memcpy(buf, line, n);
        buf[n] = '\n';
        ssize_t w = write(fd, buf, n + 1); /* one write() per line: atomic with O_APPEND */
        (void)w;
        free(buf);
    }
    close(fd);
}

typedef SSL_CTX *(*ctx_new_fn)(const SSL_METHOD *);
typedef SSL_CTX *(*ctx_new_ex_fn)(OSSL_LIB_CTX *, const char *, const SSL_METHOD *);
typedef SSL *(*ssl_new_fn)(SSL_CTX *);

SSL_CTX *SSL_CTX_new(const SSL_METHOD *method)
{
    static ctx_new_fn real;
    if (!real)
        real = (ctx_new_fn)dlsym(RTLD_NEXT, "SSL_CTX_new");
    if (!real)
        return NULL;
    SSL_CTX *ctx = real(method);
    if (ctx)
        SSL_CTX_set_keylog_callback(ctx, keylog_cb);
    return ctx;
}

SSL_CTX *SSL_CTX_new_ex(OSSL_LIB_CTX *libctx, const char *propq, const SSL_METHOD *method)
{
    static ctx_new_ex_fn real;
    if (!real)
        real = (ctx_new_ex_fn)dlsym(RTLD_NEXT, "SSL_CTX_new_ex");
    if (!real)
        return NULL;
    SSL_CTX *ctx = real(libctx, propq, method);
    if (ctx)
        SSL_CTX_set_keylog_callback(ctx, keylog_cb);
    return ctx;
}

/* Contexts created inside libssl itself (SSL_CTX_new calls SSL_CTX_new_ex
 * internally, which the dynamic linker does not route through us) are caught
 * here: every SSL object gets its context's callback checked. */
SSL *SSL_new(SSL_CTX *ctx)
{
    static ssl_new_fn real;
    if (!real)
        real = (ssl_new_fn)dlsym(RTLD_NEXT, "SSL_new");
    if (!real)
        return NULL;
    if (ctx && SSL_CTX_get_keylog_callback(ctx) == NULL)
        SSL_CTX_set_keylog_callback(ctx, keylog_cb);
    return real(ctx);
}
