# automesh — see README.md. All targets run from a fresh clone on Debian/Ubuntu.
PREFIX ?= /usr
DESTDIR ?=
MVN ?= mvn -B -q
JAR := target/automesh.jar

.PHONY: all build test demo clean deps install

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

install: $(JAR)
	install -D -m 0644 $(JAR) $(DESTDIR)$(PREFIX)/lib/automesh/automesh.jar
	install -D -m 0644 packaging/systemd/automesh.service $(DESTDIR)$(PREFIX)/lib/systemd/system/automesh.service
	install -D -m 0644 config.toml.example $(DESTDIR)$(PREFIX)/share/doc/automesh/config.toml.example

$(JAR):
	$(MVN) -DskipTests package
