/* failpoint.h — named crash points for the crash-safety tests.
 *
 * HAKO_FAILPOINT=NAME makes the process SIGKILL itself when it reaches failpoint("NAME");
 * HAKO_FAILPOINT=NAME:stop makes it SIGSTOP itself there instead (a test then looks at what
 * that moment leaves, and kills or continues it). Unset, a failpoint is one getenv() cached
 * on first use: inert. The names are listed in README.md (Crash safety). */
#pragma once

void failpoint(const char *name);
