/*
 * xplugin.c — finding and loading the Xapian plugin (xplugin.h): dlopen,
 * look up the entry, check that the plugin comes from this build.
 */
#include "xplugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef AS_PLUGINDIR
#define AS_PLUGINDIR "/usr/local/lib/assess-search"
#endif

/* dirname(/proc/self/exe)/AS_XPLUGIN_NAME into buf; 0 when unknown. */
static int beside_program(char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return 0;
    *slash = '\0';
    int w = snprintf(buf, cap, "%s/%s", exe, AS_XPLUGIN_NAME);
    return w > 0 && (size_t)w < cap;
}

static int open_one(const char *path, const as_xplugin **out, void **handle, as_err *err)
{
    dlerror();
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        size_t pl = strlen(path);
        if (why && strncmp(why, path, pl) == 0 && strncmp(why + pl, ": ", 2) == 0)
            why += pl + 2; /* glibc starts with the path we already name */
        return as_err_set(err, AS_EFORMAT, "cannot load %s: %s", path,
                          why ? why : "unknown reason");
    }
    const as_xplugin *(*entry)(void);
    *(void **)&entry = dlsym(h, AS_XPLUGIN_ENTRY);
    const as_xplugin *x = entry ? entry() : NULL;
    if (!x || x->abi != AS_XPLUGIN_ABI || x->size != sizeof *x || !x->version
        || strcmp(x->version, AS_VERSION) != 0) {
        dlclose(h);
        return as_err_set(err, AS_EFORMAT,
                          "cannot load %s: not the plugin of this build (assess-search %s)",
                          path, AS_VERSION);
    }
    *out = x;
    *handle = h;
    return AS_OK;
}

int as_xplugin_load(const as_xplugin **out, void **handle, as_err *err)
{
    if (!out || !handle)
        return as_err_set(err, AS_EINVAL, "no result pointer");
    *out = NULL;
    *handle = NULL;
    char beside[PATH_MAX + sizeof AS_XPLUGIN_NAME + 1];
    if (beside_program(beside, sizeof beside) && access(beside, F_OK) == 0)
        return open_one(beside, out, handle, err);
    const char *installed = AS_PLUGINDIR "/" AS_XPLUGIN_NAME;
    if (access(installed, F_OK) != 0)
        return as_err_set(err, AS_ENOTFOUND, "cannot load %s: %s", installed, strerror(errno));
    return open_one(installed, out, handle, err);
}

void as_xplugin_unload(void *handle)
{
    if (handle)
        dlclose(handle);
}
