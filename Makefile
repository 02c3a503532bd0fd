# npdlink: `make run` tries the flow against the built-in sandbox,
# `make check` runs every test. Both install missing Debian packages first.

CC ?= cc
BUILD ?= build
SAN ?=
PREFIX ?= /usr/local
LOCALEDIR ?= $(PREFIX)/share/locale
PKG_CONFIG ?= pkg-config

CORE_PKGS = libcurl jansson libqrencode openssl
TUI_PKGS = ncursesw
SANDBOX_PKGS = libmicrohttpd jansson openssl
TEST_PKGS = cmocka libmicrohttpd

# Recursive (=) on purpose: pkg-config runs only once the packages exist.
WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN) -iquote core \
	$(shell $(PKG_CONFIG) --cflags $(CORE_PKGS) $(TUI_PKGS) \
	$(SANDBOX_PKGS)) -DNPD_LOCALEDIR='"$(LOCALEDIR)"'
CORE_LIBS = $(shell $(PKG_CONFIG) --libs $(CORE_PKGS))
TUI_LIBS = $(shell $(PKG_CONFIG) --libs $(TUI_PKGS))
SANDBOX_LIBS = $(shell $(PKG_CONFIG) --libs $(SANDBOX_PKGS))
TEST_LIBS = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS))

CORE_SRC = $(sort $(wildcard core/*.c))
TUI_SRC = $(sort $(wildcard tui/*.c))
SANDBOX_SRC = $(sort $(wildcard sandbox/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
INTEG_SRC = $(sort $(wildcard tests/integration/test_*.c))
TOOL_SRC = $(sort $(wildcard tests/tools/*.c))

CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
TUI_OBJ = $(TUI_SRC:%.c=$(BUILD)/%.o)
SANDBOX_OBJ = $(SANDBOX_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
INTEG_BIN = $(INTEG_SRC:tests/integration/%.c=$(BUILD)/tests/%)
TOOL_BIN = $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

NPDLINK = $(BUILD)/npdlink
SANDBOX = $(BUILD)/npdlink-sandbox
CORE_LIB = $(BUILD)/libnpdcore.a

# Messages: English is the msgid; assets/ru.po is the Russian catalogue.
I18N_SRC = $(TUI_SRC) core/inn.c core/perm.c
XGETTEXT = xgettext --from-code=UTF-8 --language=C --keyword=_ \
	--keyword=N_ --package-name=npdlink --msgid-bugs-address=npdlink \
	--add-comments=TRANSLATORS
RU_MO = $(BUILD)/locale/ru/LC_MESSAGES/npdlink.mo

C_FILES = $(CORE_SRC) $(TUI_SRC) $(SANDBOX_SRC) $(UNIT_SRC) $(INTEG_SRC) \
	$(TOOL_SRC) $(wildcard core/*.h tui/*.h sandbox/*.h tests/*/*.h)

.PHONY: bench all run check deps build-tests unit integration tui-test format \
	format-check sanitize valgrind clean install pot

all: $(NPDLINK) $(SANDBOX) $(RU_MO)

run: deps
	$(MAKE) all
	./$(NPDLINK) --sandbox

RESULTS = $(abspath build/results)

check: deps
	@mkdir -p build && rm -f $(RESULTS)
	$(MAKE) all build-tests
	$(MAKE) format-check
	$(MAKE) NPD_RESULTS=$(RESULTS) unit integration tui-test
	$(MAKE) NPD_RESULTS=$(RESULTS) sanitize
	$(MAKE) NPD_RESULTS=$(RESULTS) valgrind
	@awk '{p += $$1; f += $$2} END {printf "check: %d passed, %d failed\n", \
		p, f; exit f > 0}' $(RESULTS)

deps:
	@sh scripts/deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(CORE_LIB): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(NPDLINK): $(TUI_OBJ) $(CORE_LIB)
	$(CC) $(SAN) -o $@ $(TUI_OBJ) $(CORE_LIB) $(TUI_LIBS) $(CORE_LIBS)

$(SANDBOX): $(SANDBOX_OBJ) $(CORE_LIB)
	$(CC) $(SAN) -o $@ $(SANDBOX_OBJ) $(CORE_LIB) $(SANDBOX_LIBS) \
		$(CORE_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_LIB) $(TEST_LIBS) $(CORE_LIBS)

# The allocation-failure test: the linker sends core's allocations
# through tests/unit/failalloc.c, which counts them and fails a chosen one.
ALLOC_WRAP = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
	-Wl,--wrap=strdup,--wrap=strndup,--wrap=asprintf
C_FILES += tests/unit/failalloc.c

$(BUILD)/tests/test_alloc: tests/unit/test_alloc.c tests/unit/failalloc.c \
		$(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c,$^) $(CORE_LIB) $(ALLOC_WRAP) \
		$(TEST_LIBS) $(CORE_LIBS)

$(BUILD)/tests/%: tests/integration/%.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE_LIB) $(TEST_LIBS) $(CORE_LIBS)

$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<

build-tests: $(UNIT_BIN) $(INTEG_BIN) $(TOOL_BIN)

export NPD_RESULTS
export NPD_FIXTURES = $(CURDIR)/tests/unit/fixtures

unit: $(UNIT_BIN)
	@sh tests/run-suite unit $(UNIT_BIN)

integration: $(INTEG_BIN) $(SANDBOX)
	@NPDLINK_SANDBOX=$(abspath $(SANDBOX)) \
		sh tests/run-suite integration $(INTEG_BIN)

tui-test: $(NPDLINK) $(SANDBOX) $(TOOL_BIN)
	@BUILD=$(abspath $(BUILD)) sh tests/tui/run

# The unit and integration suites again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer; any report fails the run.
sanitize:
	$(MAKE) BUILD=build/san CFLAGS="-O1 -g" \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=all" unit integration

# test_alloc is left out: it runs each path thousands of times (over ten
# minutes under valgrind), checks for leaks itself and runs under ASan.
valgrind: $(UNIT_BIN)
	@VALGRIND=1 sh tests/run-suite valgrind \
		$(filter-out %/test_alloc,$(UNIT_BIN))

pot:
	$(XGETTEXT) -o assets/npdlink.pot $(I18N_SRC)

# The Russian catalogue, merged with the messages the sources hold now, so
# a message added to the code and missing from ru.po fails the build, as
# does a fuzzy one.
$(RU_MO): assets/ru.po $(I18N_SRC)
	@mkdir -p $(dir $@)
	$(XGETTEXT) -o $(BUILD)/npdlink.pot $(I18N_SRC)
	msgmerge --quiet --no-fuzzy-matching -o $(BUILD)/ru.po assets/ru.po \
		$(BUILD)/npdlink.pot
	msgfmt --check --statistics -o $@.tmp $(BUILD)/ru.po 2>$(BUILD)/ru.stat
	@cat $(BUILD)/ru.stat
	@if grep -q -e untranslated -e fuzzy $(BUILD)/ru.stat; then \
		echo "assets/ru.po: every message needs a Russian translation" \
			>&2; rm -f $@.tmp; exit 1; fi
	mv $@.tmp $@

# Wall time, peak memory and request counts of one check per scenario.
bench: all
	@BUILD=$(abspath $(BUILD)) sh tests/bench/run

format:
	clang-format -i $(C_FILES)

format-check:
	clang-format --dry-run --Werror $(C_FILES)

MAN1 = docs/npdlink.1 docs/npdlink-sandbox.1
MAN5 = docs/npdlink.conf.5
MANDIR ?= $(PREFIX)/share/man

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(NPDLINK) $(SANDBOX) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(LOCALEDIR)/ru/LC_MESSAGES
	install -m 644 $(RU_MO) $(DESTDIR)$(LOCALEDIR)/ru/LC_MESSAGES/

.PHONY: uninstall
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/npdlink \
		$(DESTDIR)$(PREFIX)/bin/npdlink-sandbox
	rm -f $(MAN1:docs/%=$(DESTDIR)$(MANDIR)/man1/%) \
		$(MAN5:docs/%=$(DESTDIR)$(MANDIR)/man5/%)
	rm -f $(DESTDIR)$(LOCALEDIR)/ru/LC_MESSAGES/npdlink.mo

clean:
	rm -rf build

-include $(CORE_OBJ:.o=.d) $(TUI_OBJ:.o=.d) $(SANDBOX_OBJ:.o=.d)

# Fuzzing with libFuzzer, outside `make check` (see docs/fuzzing.md). Each
# harness runs FUZZ_SECONDS; a crash or a broken invariant fails the run.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD = build/fuzz
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link -iquote core \
	$(shell $(PKG_CONFIG) --cflags $(CORE_PKGS))
FUZZ_SRC = $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES = $(FUZZ_SRC:tests/fuzz/fuzz_%.c=%)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_CORE_OBJ = $(CORE_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_CORE_LIB = $(FUZZ_BUILD)/libnpdcore.a
FUZZ_API_SEEDS = $(FUZZ_BUILD)/corpus-api
FUZZ_SEED_api = $(FUZZ_API_SEEDS)
FUZZ_SEED_inn = tests/fuzz/corpus/inn
FUZZ_SEED_config = tests/fuzz/corpus/config
FUZZ_FLAGS_api = -dict=tests/fuzz/api.dict
C_FILES += $(FUZZ_SRC)

.PHONY: fuzz fuzz-deps fuzz-build fuzz-replay

fuzz: deps fuzz-deps
	$(MAKE) fuzz-replay
	$(MAKE) $(FUZZ_NAMES:%=fuzz-run-%)

fuzz-deps:
	@sh scripts/deps fuzz

fuzz-build: $(FUZZ_BIN) $(FUZZ_API_SEEDS).stamp

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_CORE_LIB): $(FUZZ_CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_CORE_LIB)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_CORE_LIB) \
		$(CORE_LIBS)

# The API seeds are the unit test replies, each once per call and status:
# the first byte of an input picks both (see tests/fuzz/fuzz_api.c).
$(FUZZ_API_SEEDS).stamp: $(wildcard tests/unit/fixtures/replies/*)
	@rm -rf $(FUZZ_API_SEEDS) && mkdir -p $(FUZZ_API_SEEDS)
	@for f in tests/unit/fixtures/replies/*; do \
		b=0; while [ $$b -lt 30 ]; do \
			{ printf "\\$$(printf %o $$b)"; cat "$$f"; } \
				>"$(FUZZ_API_SEEDS)/$$b-$${f##*/}"; \
			b=$$((b + 1)); \
		done; \
	done
	@touch $@

# Every seed run once, without mutation: a seed that now fails is a
# regression.
fuzz-replay: $(FUZZ_NAMES:%=fuzz-replay-%)

fuzz-replay-%: fuzz-build
	@find $(FUZZ_SEED_$*) -type f | xargs $(FUZZ_BUILD)/fuzz_$* \
		>$(FUZZ_BUILD)/replay-$*.log 2>&1 || { \
		tail -n 40 $(FUZZ_BUILD)/replay-$*.log; exit 1; }
	@echo "ok   fuzz-replay $* ($$(find $(FUZZ_SEED_$*) -type f | \
		wc -l) seeds)"

# New inputs go to the first directory (under build/), never into the
# seed directories in the tree.
fuzz-run-%: fuzz-build
	@mkdir -p $(FUZZ_BUILD)/work-$* $(FUZZ_BUILD)/crashes
	$(FUZZ_BUILD)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 $(FUZZ_FLAGS_$*) \
		-artifact_prefix=$(FUZZ_BUILD)/crashes/$*- \
		$(FUZZ_BUILD)/work-$* $(FUZZ_SEED_$*)

-include $(FUZZ_CORE_OBJ:.o=.d)
