# A thin front door to meson. `make`, `make test`, `make demo`, `make asan`, `make fuzz`, `make bench`.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
PYTEST = /usr/bin/python3 -m pytest
HAKO_ROOT ?= /var/lib/hako
# test-v2: which integration tests run inside the pure cgroup v2 VM (pytest arguments).
V2_DEFAULT_TESTS = tests/integration/test_cgroups.py tests/integration/test_exec.py \
	tests/integration/test_runtime_basic.py tests/integration/test_runtime_config.py \
	tests/integration/test_runtime_errors.py tests/integration/test_security.py \
	tests/integration/test_seccomp.py tests/integration/test_checkpoint.py \
	tests/integration/test_engine_checkpoint.py \
	tests/integration/test_lsm.py tests/integration/test_engine_rootfs.py
V2_TESTS ?= $(or $(wildcard $(V2_DEFAULT_TESTS)),tests/integration/test_cli.py)
V2_CMD = env HAKO_BUILD=$(abspath $(BUILD)) $(PYTEST) -q -rs -p no:cacheprovider $(V2_TESTS)

.PHONY: all deps build test unit integration asan fuzz demo bench format clean test-v2 \
	install uninstall

# make install [PREFIX=/usr/local] [DESTDIR=]: hako, hako-runtime (a link to it), the man pages
# made from hako's --help text (scripts/gen-man.sh) and the bash and zsh completion.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MAN1DIR = $(DESTDIR)$(PREFIX)/share/man/man1
BASHCOMPDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(DESTDIR)$(PREFIX)/share/zsh/site-functions

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	@scripts/deps.sh --build
	meson setup $(BUILD) >/dev/null

build: $(BUILD)/build.ninja
	@ninja -C $(BUILD) >/dev/null

unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

integration: build
	HAKO_BUILD=$(abspath $(BUILD)) $(PYTEST) -q -rs tests/integration

test: deps build
	meson test -C $(BUILD) --suite unit --print-errorlogs
	HAKO_BUILD=$(abspath $(BUILD)) $(PYTEST) -q -rs tests/integration
	@scripts/vm/run.sh --if-usable --cache $(BUILD)/vm -- $(V2_CMD)

# The V2_TESTS on pure cgroup v2, in a VM (scripts/vm/run.sh): KVM when usable, else TCG.
test-v2: build
	@scripts/vm/run.sh --cache $(BUILD)/vm -- $(V2_CMD)

install: build
	install -d $(BINDIR) $(MAN1DIR) $(BASHCOMPDIR) $(ZSHCOMPDIR)
	install -m 0755 $(BUILD)/hako $(BINDIR)/hako
	ln -sf hako $(BINDIR)/hako-runtime
	rm -rf $(BUILD)/man && scripts/gen-man.sh $(BUILD)/hako $(BUILD)/man
	install -m 0644 $(BUILD)/man/*.1 $(MAN1DIR)/
	install -m 0644 completion/hako.bash $(BASHCOMPDIR)/hako
	install -m 0644 completion/_hako $(ZSHCOMPDIR)/_hako

uninstall:
	rm -f $(BINDIR)/hako $(BINDIR)/hako-runtime $(MAN1DIR)/hako.1 $(MAN1DIR)/hako-*.1 \
		$(BASHCOMPDIR)/hako $(ZSHCOMPDIR)/_hako

$(ASAN_BUILD)/build.ninja:
	@scripts/deps.sh --build
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

asan: deps $(ASAN_BUILD)/build.ninja
	@ninja -C $(ASAN_BUILD) >/dev/null
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs
	ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		HAKO_BUILD=$(abspath $(ASAN_BUILD)) $(PYTEST) -q -rs tests/integration

# Coverage-guided fuzzing of the parsers (tests/fuzz/README.md): clang, ASan + UBSan, each
# target for FUZZ_SECONDS; FUZZ_TARGETS picks some. Findings land in $(FUZZ_BUILD)/artifacts/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz-%.c,%,$(wildcard tests/fuzz/fuzz-*.c))

$(FUZZ_BUILD)/build.ninja:
	@scripts/deps.sh --fuzz
	CC=clang-14 meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null

fuzz: $(FUZZ_BUILD)/build.ninja
	@ninja -C $(FUZZ_BUILD) $(foreach t,$(FUZZ_TARGETS),tests/fuzz/fuzz-$(t)) >/dev/null
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

demo: deps build
	$(BUILD)/hako --root $(HAKO_ROOT) image build-busybox >/dev/null
	$(BUILD)/hako --root $(HAKO_ROOT) run -it busybox /bin/sh

bench: build
	@scripts/deps.sh --bench
	bench/run.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/unit/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
