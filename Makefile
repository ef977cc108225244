# automesh — see README.md. All targets run from a fresh clone on Debian/Ubuntu.
PREFIX ?= /usr
DESTDIR ?=
MVN ?= mvn -B -q
JAR := target/automesh.jar

.PHONY: all build test demo clean deps install simulate

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	$(MVN) -DskipTests package

# The whole suite: unit tests and the real-component tests (namespaces, wireguard-go, kernel
# WireGuard in a QEMU guest, miniupnpd). Needs root for the real ones; CI runs it as root.
test: deps
	mvn -B verify

demo: build
	@bash scripts/demo.sh

clean:
	$(MVN) clean

# PREFIX/DESTDIR aware. The unit and the wrapper get the installed paths written into them; the
# example config lands next to where the real one goes, and an existing config is never touched.
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
install: $(JAR)
	install -D -m 0644 $(JAR) $(DESTDIR)$(PREFIX)/lib/automesh/automesh.jar
	install -d -m 0755 $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/automesh
	sed 's|@JAR@|$(PREFIX)/lib/automesh/automesh.jar|' packaging/bin/automesh.in > $(DESTDIR)$(PREFIX)/bin/automesh
	chmod 0755 $(DESTDIR)$(PREFIX)/bin/automesh
	sed -e 's|/usr/lib/automesh/|$(PREFIX)/lib/automesh/|g' -e 's|/usr/share/doc/automesh/|$(PREFIX)/share/doc/automesh/|g' -e 's|/etc/automesh/|$(SYSCONFDIR)/automesh/|g' \
	    packaging/systemd/automesh.service > $(DESTDIR)$(UNITDIR)/automesh.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/automesh.service
	install -m 0644 config.toml.example $(DESTDIR)$(SYSCONFDIR)/automesh/config.toml.example
	install -D -m 0644 packaging/README.md $(DESTDIR)$(PREFIX)/share/doc/automesh/README.md

$(JAR):
	$(MVN) -DskipTests package

# The gossip simulator (docs/simulator.md): the real Mesh for NODES nodes on a simulated clock and network.
NODES ?= 100
MINUTES ?= 30
ARGS ?=
simulate:
	$(MVN) -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile=target/sim-classpath.txt
	java -Xss8m -Xmx$${SIM_HEAP:-8g} -cp target/classes:target/test-classes:$$(cat target/sim-classpath.txt) \
	    dev.automesh.sim.SimulateMain --nodes=$(NODES) --minutes=$(MINUTES) $(ARGS)
