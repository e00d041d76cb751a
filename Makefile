# saas-fcgi: plain make, pkg-config, warnings as errors.
#
#   make             build the programs (saas-fcgi, saas-jobs) and the unit tests into build/
#   make test        install what is missing, build, run the whole suite
#   make run         install what is missing, build, start the local stack
#   make bench       requests per second and latency through nginx (wrk)
#   make SANITIZE=1  the same with AddressSanitizer and UBSan (into build-san/)
#   make valgrind    the API suite with the workers under valgrind memcheck
#   make sanitize-test  the API suite under the sanitizers (as make test does), with whole traces
#   make soak        the pool at full speed through nginx for SOAK_SECONDS: RSS and fds flat
#   make fuzz        each libFuzzer harness for FUZZ_SECONDS (into build-fuzz/)
#   make install     programs into $(PREFIX)/bin, configuration examples into $(SHAREDIR)

PREFIX   ?= /usr/local
SHAREDIR ?= $(PREFIX)/share/saas-fcgi
CC       ?= cc
PKGS      = libpq jansson libjwt libargon2 libmemcached libxcrypt libcrypto fcgi

WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wwrite-strings -Werror
ifeq ($(SANITIZE),1)
BUILD    ?= build-san
HARDEN    = -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDHARDEN  = -fsanitize=address,undefined
else
BUILD    ?= build
HARDEN    = -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong
LDHARDEN  =
endif

CFLAGS   += -std=c11 -D_GNU_SOURCE -g -fPIE $(HARDEN) $(WARN) -MMD -MP \
            -Ilib -Ihandlers -Ifcgi -Ijobs $(shell pkg-config --cflags $(PKGS))
LDFLAGS  += -pie -Wl,-z,relro,-z,now $(LDHARDEN)
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -lzxcvbn -lm

LIB_SRC     = $(wildcard lib/*.c)
HANDLER_SRC = $(wildcard handlers/*.c)
FCGI_SRC    = $(filter-out fcgi/main.c,$(wildcard fcgi/*.c))
JOBS_SRC    = $(filter-out jobs/main.c,$(wildcard jobs/*.c))
UNIT_SRC    = $(wildcard test/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
CORE_OBJ = $(call obj,$(LIB_SRC) $(HANDLER_SRC) $(FCGI_SRC))
JOBS_OBJ = $(call obj,$(JOBS_SRC))
PROGRAMS = $(BUILD)/saas-fcgi $(BUILD)/saas-jobs
UNITS    = $(patsubst test/unit/test_%.c,$(BUILD)/test/unit_%,$(UNIT_SRC))
# Programs the suites use on the web server's side (test/tools).
TOOLS    = $(patsubst test/tools/%.c,$(BUILD)/test/%,$(wildcard test/tools/*.c))

.SECONDARY:
.PHONY: all deps test run bench valgrind sanitize-test soak install clean format fuzz fuzzers
all: $(PROGRAMS) $(UNITS) $(TOOLS)

# Quiet by default; make V=1 shows the commands.
Q = $(if $(V),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# The OpenAPI document is assembled into the binary.
$(BUILD)/handlers/openapi_blob.o: handlers/openapi.json

$(BUILD)/saas-fcgi: $(CORE_OBJ) $(BUILD)/fcgi/main.o
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/saas-jobs: $(call obj,$(LIB_SRC)) $(JOBS_OBJ) $(BUILD)/jobs/main.o
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/test/unit_%: $(BUILD)/test/unit/test_%.o $(CORE_OBJ) $(JOBS_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# Fuzzing: a libFuzzer harness per pure parser (test/fuzz/fuzz_*.c), linked
# with the lib/ objects it needs built by clang with coverage, ASan and
# UBSan into build-fuzz/. make fuzz runs each for FUZZ_SECONDS, keeping new
# inputs in build-fuzz/corpus/ (the seeds stay test/fuzz/corpus/); make test
# runs each for a few seconds on its seeds (test/fuzz/run).
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_PKGS     = jansson libjwt libcrypto
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all $(WARN) -MMD -MP \
                -Ilib $(shell pkg-config --cflags $(FUZZ_PKGS))
FUZZ_LIB      = $(patsubst %,$(FUZZ_BUILD)/lib/%.o,addr arena config err etag form http json page \
                text token validate)
FUZZERS       = $(patsubst test/fuzz/fuzz_%.c,$(FUZZ_BUILD)/fuzz_%,$(wildcard test/fuzz/fuzz_*.c))

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $< (fuzz)")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/test/fuzz/fuzz_%.o $(FUZZ_LIB)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ \
	    $(shell pkg-config --libs $(FUZZ_PKGS))

fuzzers: $(FUZZERS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzzers
	@test/fuzz/run --seconds $(FUZZ_SECONDS) --keep $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)

$(BUILD)/test/%: $(BUILD)/test/tools/%.o
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@scripts/install-deps

# The suites (test/run) use three builds: the plain one, the sanitizer one
# (SAN_BUILD: the API suites run against it, any report fails them) and the
# fuzzers.
SAN_BUILD ?= build-san
test: deps
	@$(MAKE) --no-print-directory -j2 all fuzzers
	@$(MAKE) --no-print-directory -j2 SANITIZE=1 BUILD=$(SAN_BUILD) all
	@BUILD=$(BUILD) SAN_BUILD=$(SAN_BUILD) test/run

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/stack up && scripts/stack logs

bench: deps
	@$(MAKE) --no-print-directory all
	@test/bench

# The workers under memcheck while the HTTP suites run (VALGRIND_SUITES);
# any error or definite leak fails the run.
VALGRIND_SUITES ?= test/api/http.bats test/api/forgot_password.bats
valgrind: deps
	@$(MAKE) --no-print-directory all
	@# The workers serve as RUN_AS_USER and write their own logs: a sticky 1777 directory.
	@rm -rf $(BUILD)/valgrind && install -d -m 1777 $(BUILD)/valgrind
	@BUILD=$(BUILD) SAAS_FCGI_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --trace-children=yes --log-file=$(CURDIR)/$(BUILD)/valgrind/%p.log" test/run $(VALGRIND_SUITES)
	@if grep -l 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]\|Invalid \|uninitialised' $(BUILD)/valgrind/*.log 2>/dev/null; then \
		echo "valgrind found errors (logs above)"; exit 1; else echo "valgrind: clean"; fi

# The API suites (SANITIZE_SUITES) against workers and a job runner built
# with AddressSanitizer, LeakSanitizer and UBSan (build-san/), as make test
# runs them, but alone and with ASan's slow unwinding: whole stack traces
# in the reports, several times slower (SANITIZE_TIMEOUT bounds a suite).
SANITIZE_SUITES  ?= test/api
SANITIZE_BUILD   ?= build-san
SANITIZE_TIMEOUT ?= 7200
sanitize-test: deps
	@$(MAKE) --no-print-directory SANITIZE=1 BUILD=$(SANITIZE_BUILD) all
	@BUILD=$(SANITIZE_BUILD) SUITE_TIMEOUT=$(SANITIZE_TIMEOUT) \
	    ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0:$(ASAN_OPTIONS) test/run $(SANITIZE_SUITES)

# test/soak: SOAK_SECONDS at full speed through nginx on a stack of its own;
# fails when a worker's RSS grows over 1 MiB after the warm-up, or its
# descriptors grow. make test runs a 15 s one (test/e2e/soak.bats).
SOAK_SECONDS ?= 60
soak: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) SOAK_SECONDS=$(SOAK_SECONDS) test/soak

install: $(PROGRAMS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SHAREDIR)
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	cp -R schema conf scripts $(DESTDIR)$(SHAREDIR)/

format:
	clang-format -i lib/*.[ch] fcgi/*.[ch] handlers/*.[ch] jobs/*.[ch] test/unit/*.[ch] \
	    test/fuzz/*.[ch]

clean:
	rm -rf build build-san $(FUZZ_BUILD)

-include $(shell find $(BUILD) $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
