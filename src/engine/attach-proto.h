/* attach-proto.h — the messages on a container's attach socket (SOCK_SEQPACKET, so each
 * send is one message): a type byte, then the payload. Shared by the monitor's relay
 * (tiny/monitor.c, freestanding: this header has nothing but constants) and the clients
 * (engine/attach.c).
 *
 *   client → monitor   'h' flags     hello: which streams the client wants (ATTACH_*)
 *                      'i' bytes     stdin data
 *                      'e'           stdin closed
 *                      'w' r0r1c0c1  window size, rows then columns, little endian u16
 *   monitor → client   'o' bytes     the container's stdout (the terminal, with -t)
 *                      'r' bytes     the container's stderr
 *                      'x' "N"       the container exited with status N (decimal); last
 *                      'E' text      the container could not be started: why; last
 *                      'S' "PID"     the container runs (only to the client that started it)
 */
#pragma once

#define ATTACH_MSG_MAX 8192 /* payload bytes per message, at most */

#define ATTACH_STDIN 1
#define ATTACH_STDOUT 2
#define ATTACH_STDERR 4

#define ATTACH_HELLO 'h'
#define ATTACH_IN 'i'
#define ATTACH_IN_EOF 'e'
#define ATTACH_RESIZE 'w'
#define ATTACH_OUT 'o'
#define ATTACH_ERR 'r'
#define ATTACH_EXIT 'x'
#define ATTACH_FAIL 'E'
#define ATTACH_STARTED 'S'
