/* features.h — the OCI features document. */
#pragma once

#include <jansson.h>

json_t *runtime_features_json(void);
