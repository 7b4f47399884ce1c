/* lazy-nft.c — libnftables forwarders (see lazy.h): only bridge networking loads it (with
 * libnftnl, libmnl, libxtables, libgmp), never a --network none run or the OCI runtime. */
#include <nftables/libnftables.h>

#include "util/lazy.h"

#define L LAZY_NFT

/* clang-format off */
LAZY_FN(L, struct nft_ctx *, nft_ctx_new, (uint32_t flags), (flags))
LAZY_VOID(L, nft_ctx_free, (struct nft_ctx *c), (c))
LAZY_FN(L, int, nft_ctx_buffer_output, (struct nft_ctx *c), (c))
LAZY_FN(L, int, nft_ctx_buffer_error, (struct nft_ctx *c), (c))
LAZY_FN(L, const char *, nft_ctx_get_error_buffer, (struct nft_ctx *c), (c))
LAZY_FN(L, const char *, nft_ctx_get_output_buffer, (struct nft_ctx *c), (c))
LAZY_FN(L, int, nft_run_cmd_from_buffer, (struct nft_ctx *c, const char *buf), (c, buf))
/* clang-format on */
