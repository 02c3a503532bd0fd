# npdlink: `make run` tries the flow against the built-in sandbox,
# `make check` runs every test. Both install missing Debian packages first.

CC ?= cc
BUILD ?= build
SAN ?=
PREFIX ?= /usr/local
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
	$(SANDBOX_PKGS))
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

C_FILES = $(CORE_SRC) $(TUI_SRC) $(SANDBOX_SRC) $(UNIT_SRC) $(INTEG_SRC) \
	$(TOOL_SRC) $(wildcard core/*.h tui/*.h sandbox/*.h tests/*/*.h)

.PHONY: all run check deps build-tests unit integration tui-test format \
	format-check sanitize valgrind clean install

all: $(NPDLINK) $(SANDBOX)

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

valgrind: $(UNIT_BIN)
	@VALGRIND=1 sh tests/run-suite valgrind $(UNIT_BIN)

format:
	clang-format -i $(C_FILES)

format-check:
	clang-format --dry-run --Werror $(C_FILES)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(NPDLINK) $(SANDBOX) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build

-include $(CORE_OBJ:.o=.d) $(TUI_OBJ:.o=.d) $(SANDBOX_OBJ:.o=.d)
