/* names.c — container IDs and generated names. */
#include "engine/names.h"

#include <string.h>
#include <sys/random.h>

#include "util/fs.h"

int names_new_id(char *buf, struct hk_error *err)
{
    static const char hex[] = "0123456789abcdef";
    for (;;) {
        unsigned char raw[NAMES_ID_LEN / 2];
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
            return hk_error_errno(err, -errno, "getrandom");
        bool digits = true;
        for (size_t i = 0; i < sizeof(raw); i++) {
            buf[2 * i] = hex[raw[i] >> 4];
            buf[2 * i + 1] = hex[raw[i] & 15];
        }
        buf[NAMES_ID_LEN] = '\0';
        for (size_t i = 0; i < 12; i++)
            digits = digits && buf[i] <= '9';
        if (!digits)
            return 0;
    }
}

static const char *const adjectives[] = {
    "admiring", "bold",     "brave",    "clever",   "compassionate", "dazzling", "eager",
    "elegant",  "focused",  "gallant",  "gifted",   "happy",         "hopeful",  "jolly",
    "keen",     "kind",     "laughing", "lucid",    "modest",        "nifty",    "peaceful",
    "quirky",   "relaxed",  "serene",   "sharp",    "stoic",         "tender",   "trusting",
    "upbeat",   "vibrant",  "wizardly", "zealous",
};

static const char *const surnames[] = {
    "babbage",  "bell",     "cerf",     "curie",    "dijkstra", "einstein", "euler",
    "feynman",  "goldberg", "hopper",   "hypatia",  "kare",     "knuth",    "lamport",
    "lovelace", "mccarthy", "meitner",  "noether",  "pike",     "ritchie",  "shannon",
    "sinoussi", "thompson", "torvalds", "turing",   "wescoff",  "wilson",   "wozniak",
    "yalow",    "yonath",   "zhukovsky", "shirley",
};

char *names_generate(unsigned long seed)
{
    if (seed == 0 && getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        seed = 1;
    size_t a = seed % ELEMENTSOF(adjectives);
    size_t s = (seed / ELEMENTSOF(adjectives)) % ELEMENTSOF(surnames);
    /* docker: "boring_wozniak" is not boring */
    return xasprintf("%s_%s", adjectives[a], surnames[s]);
}

static bool name_char(char c, bool first)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return !first && (c == '_' || c == '.' || c == '-');
}

int names_check(const char *name, struct hk_error *err)
{
    const char *n = name[0] == '/' ? name + 1 : name;
    bool ok = strlen(n) >= 2 && strlen(n) <= 253;
    for (size_t i = 0; ok && n[i]; i++)
        ok = name_char(n[i], i == 0);
    if (!ok)
        return hk_error_set(err, -EINVAL,
                            "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
                            "allowed",
                            name);
    return 0;
}
