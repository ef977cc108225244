# automesh — see README.md. All targets run from a fresh clone on Debian/Ubuntu.
PREFIX ?= /usr
DESTDIR ?=
MVN ?= mvn -B -q
JAR := target/automesh.jar

.PHONY: all build test demo clean deps install cds simulate

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
	sed -e 's|@JAR@|$(PREFIX)/lib/automesh/automesh.jar|' -e 's|@CDS@|$(CDS_ARCHIVE)|g' packaging/bin/automesh.in > $(DESTDIR)$(PREFIX)/bin/automesh
	chmod 0755 $(DESTDIR)$(PREFIX)/bin/automesh
	sed -e 's|/usr/lib/automesh/|$(PREFIX)/lib/automesh/|g' -e 's|/usr/share/doc/automesh/|$(PREFIX)/share/doc/automesh/|g' -e 's|/etc/automesh/|$(SYSCONFDIR)/automesh/|g' \
	    packaging/systemd/automesh.service > $(DESTDIR)$(UNITDIR)/automesh.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/automesh.service
	install -m 0644 config.toml.example $(DESTDIR)$(SYSCONFDIR)/automesh/config.toml.example
	install -D -m 0644 packaging/README.md $(DESTDIR)$(PREFIX)/share/doc/automesh/README.md
	install -m 0755 packaging/cds-archive.sh $(DESTDIR)$(PREFIX)/lib/automesh/cds-archive.sh
	install -m 0644 packaging/automesh.classlist $(DESTDIR)$(PREFIX)/lib/automesh/automesh.classlist
	@if [ -z "$(DESTDIR)" ]; then $(MAKE) -s cds PREFIX=$(PREFIX); else \
	  echo "automesh: DESTDIR set, so no CDS archive (it is bound to the jar's final path); on the target run" \
	       "make cds, or: $(CDS_CMD)" >&2; fi

# Class-data-sharing archive for the installed jar and $(JAVA) (normally the JDK the unit's
# /usr/bin/java is): the agent then starts faster. Redo after the JDK is upgraded: until then, or
# without it, the agent starts without it, only slower. cds.env tells the unit to use it (a missing
# archive named on the command line would turn off the JDK's own sharing too). See packaging/README.md.
JAVA ?= java
CDS_ARCHIVE = $(PREFIX)/lib/automesh/automesh.jsa
CDS_ENV = $(PREFIX)/lib/automesh/cds.env
CDS_CMD = $(PREFIX)/lib/automesh/cds-archive.sh $(JAVA) $(PREFIX)/lib/automesh/automesh.jar $(CDS_ARCHIVE) \
	&& { [ ! -f $(CDS_ARCHIVE) ] || echo AUTOMESH_CDS=-XX:SharedArchiveFile=$(CDS_ARCHIVE) > $(CDS_ENV); }
cds:
	rm -f $(CDS_ENV)
	$(CDS_CMD)

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
