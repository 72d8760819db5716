# BM provisioning pipeline. `make demo` and `make test` do all set-up themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
BUN := node_modules/.bin/bun
TSC := node_modules/.bin/tsc
BIOME := node_modules/.bin/biome

# Debian packages the tests and the demo run for real (installed when missing and run as root).
DEBIAN_PACKAGES := iproute2 isc-dhcp-server kea-dhcp4-server lldpd memtester fio busybox udhcpc fdisk e2fsprogs dmidecode ethtool \
                   isc-dhcp-client graphviz curl jq util-linux \
                   debootstrap unzip python3-pip python3-venv

SOURCES := $(shell find shared hook agent harden -name '*.ts' -o -name '*.json' -path 'harden/profiles/*' 2>/dev/null)
# dhcpd waits for `bm-hook commit`. ESM bytecode (without it the fast path's modules take ~4× longer to load);
# --splitting keeps the full CLI (yargs, ky, ajv) in chunks the fast path never loads; no .env or bunfig.toml
# read from whatever directory dhcpd runs us in (a cost, and a way to inject settings). What is left is measured
# against a hello-world compiled with these same flags by `make bench` (bench/README.md): the old "0.85" compared
# commit with `bm-hook --version`, which loads yargs, and hid a 2.1-2.4x overhead over that floor.
COMPILE_FLAGS := --compile --minify --bytecode --format=esm --sourcemap --splitting --no-compile-autoload-dotenv --no-compile-autoload-bunfig

.PHONY: generate docs help deps npm-deps debian-deps venv build typecheck lint snapshots test test-unit test-integration demo bench install clean sim \
        image image-deps e2e netbox netbox-stop netbox-build

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 20

deps: npm-deps debian-deps venv ## install npm dependencies, (as root) missing Debian packages, and the Python venv (Ansible, sushy-tools)

npm-deps: node_modules/.installed
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

debian-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "WARNING: missing Debian packages: $$missing — run 'make deps' as root; suites needing them will say so" >&2; exit 0; fi; \
	echo "installing Debian packages: $$missing"; \
	policy=/usr/sbin/policy-rc.d; made_policy=; \
	if [ ! -e $$policy ]; then printf '#!/bin/sh\nexit 101\n' > $$policy && chmod 755 $$policy && made_policy=1; fi; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; rc=$$?; \
	if [ -n "$$made_policy" ]; then rm -f $$policy; fi; exit $$rc

# The Python venv of harden/ansible and its tests (ansible-core, community.general, sushy-tools; pins in
# harden/ansible/requirements.txt + constraints.txt). Built once per content of those files under the user's cache
# (clones and CI runs on one machine share it); .venv in the repo links to it.
VENV_INPUTS := harden/ansible/requirements.txt harden/ansible/constraints.txt harden/ansible/venv.sh
VENV_DIR := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/bm-provision/venv-$(shell cat $(VENV_INPUTS) 2>/dev/null | sha256sum | cut -c1-12)
venv: debian-deps
	@if harden/ansible/venv.sh $(VENV_DIR); then ln -sfn $(VENV_DIR) .venv; \
	elif [ "$$(id -u)" = 0 ]; then exit 1; \
	else echo "WARNING: no Python venv (see above) — suites needing Ansible or sushy-tools will say so" >&2; fi

build: dist/bm-hook dist/bm-agent dist/bm-harden ## compile the single-file binaries into dist/

dist/bm-hook: npm-deps $(SOURCES)
	$(BUN) build $(COMPILE_FLAGS) hook/main.ts --outfile $@

dist/bm-agent: npm-deps $(SOURCES)
	$(BUN) build $(COMPILE_FLAGS) agent/main.ts --outfile $@

# The built-in profiles (harden/profiles/*.json) are compiled in; the playbook is not (install puts it in share/).
dist/bm-harden: npm-deps $(SOURCES)
	$(BUN) build $(COMPILE_FLAGS) harden/main.ts --outfile $@

typecheck: npm-deps ## tsc --noEmit over the whole tree (strict)
	$(TSC) --noEmit

# Biome: formatting and lint over agent hook shared test harden image bench docs/*.ts (biome.json says which
# files: not hook/generated, test fixtures, node_modules or dist). `$(BIOME) check --write .` applies the fixes.
lint: npm-deps ## formatter and linter check (Biome); warnings fail too
	$(BIOME) check --error-on-warnings .

# As root the e2e level (a real PXE boot of the image in qemu) runs too, so the image is built first.
IS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)
test: deps typecheck lint build $(if $(IS_ROOT),image) ## everything: typecheck, lint, unit, integration; as root also the image and the e2e PXE boot
	@[ -n "$(IS_ROOT)" ] || echo "!!! NOT RUN: the PXE image build and the e2e boot need root (run make test as root)" >&2
	$(BUN) test/run-tests.ts unit integration $(if $(IS_ROOT),e2e)

test-unit: npm-deps
	$(BUN) test/run-tests.ts unit

test-integration: npm-deps build
	$(BUN) test/run-tests.ts integration

snapshots: npm-deps ## accept the current --help output of every binary as the snapshots (review, then commit)
	UPDATE_SNAPSHOTS=1 $(BUN) test test/integration/help-snapshots.test.ts

demo: deps build ## the pipeline against the embedded NetBox simulator (NETBOX=real: a real NetBox, root)
	$(BUN) test/demo/run-demo.ts --netbox $(or $(NETBOX),sim)

# The PXE image (image/, docs/image.md): mkosi builds the Debian root once per change of
# image/; the agent is appended as its own cpio, so an agent change re-packs in seconds.
IMAGE_OUT := dist/image
IMAGE_BASE_INPUTS := $(shell find image -name 'mkosi.*' -type f 2>/dev/null)
IMAGE_HOST_PACKAGES := mkosi debian-archive-keyring debootstrap systemd-container cpio zstd
# The UEFI boot chain (docs/image.md): Debian's Microsoft-signed shim and Debian-signed network GRUB are copied from
# the host's packages, so the host must run the Debian release the image is built from; sbverify checks the signatures.
# undionly.kpxe (iPXE for legacy BIOS) comes from ipxe, so dist/image/ is a complete boot tree; dosfstools and mtools
# write boot.img, the FAT RAM disk UEFI HTTP boot clients get (Debian's network GRUB has no http module).
IMAGE_BOOT_PACKAGES := shim-signed grub-efi-amd64-signed sbsigntool ipxe dosfstools mtools
E2E_HOST_PACKAGES := qemu-system-x86 qemu-utils ipxe-qemu ipxe ovmf mtools dnsmasq-base isc-dhcp-server kea-dhcp4-server lldpd iproute2 busybox curl nginx
# boot.ipxe and grub/grub.cfg: generated from one declaration of the kernel command line.
IMAGE_BOOT_SCRIPTS := $(IMAGE_OUT)/boot.ipxe $(IMAGE_OUT)/grub/grub.cfg

image: $(IMAGE_OUT)/initrd.zst $(IMAGE_OUT)/grubx64.efi $(IMAGE_BOOT_SCRIPTS) $(IMAGE_OUT)/boot.img ## PXE/UEFI boot tree with bm-agent → dist/image/ (vmlinuz, initrd.zst, boot.ipxe, shim, GRUB, boot.img; root)
	@image/build-image.sh report

image-deps:
	@$(MAKE) --no-print-directory debian-deps DEBIAN_PACKAGES="$(IMAGE_HOST_PACKAGES) $(IMAGE_BOOT_PACKAGES) $(E2E_HOST_PACKAGES)"

$(IMAGE_OUT)/.base/root.cpio.zst: $(IMAGE_BASE_INPUTS) | image-deps
	image/build-image.sh base

$(IMAGE_OUT)/initrd.zst: $(IMAGE_OUT)/.base/root.cpio.zst dist/bm-agent image/build-image.sh
	image/build-image.sh assemble

# shimx64.efi, grubx64.efi, undionly.kpxe and the kernel's Secure Boot signature check (the kernel is the base's).
$(IMAGE_OUT)/grubx64.efi: $(IMAGE_OUT)/.base/root.cpio.zst image/build-image.sh | image-deps
	image/build-image.sh uefi

$(IMAGE_BOOT_SCRIPTS) &: image/boot-scripts.ts | npm-deps
	$(BUN) image/boot-scripts.ts $(IMAGE_OUT)

# UEFI HTTP boot's RAM disk: the UEFI chain, grub.cfg, kernel and initrd in one FAT32 image.
$(IMAGE_OUT)/boot.img: $(IMAGE_OUT)/initrd.zst $(IMAGE_OUT)/grubx64.efi $(IMAGE_OUT)/grub/grub.cfg image/build-image.sh | image-deps
	image/build-image.sh ramdisk

e2e: npm-deps venv image ## boot the image in qemu: legacy BIOS PXE, UEFI PXE with Secure Boot, UEFI HTTP boot, a failing server; the whole lifecycle offline → ready (root; ~15 min on 2 cores)
	$(BUN) test/run-tests.ts e2e

# bench/README.md says what each number is and against which baseline; ~9 min (the 1,000-lease storm and the slow baseline).
bench: build ## performance ratios against in-run baselines (incl. bm-hook vs the seed's bash hook)
	@command -v curl >/dev/null && command -v jq >/dev/null || $(MAKE) --no-print-directory debian-deps
	$(BUN) bench/run-bench.ts

# A real NetBox (PyPI netbox, PostgreSQL, Redis in a Debian 13 root; test/netbox-real/README.md).
# Built once per version under /var/cache/bm-provision/netbox/ (~8 min cold), then started in ~15 s.
NETBOX_VERSION ?= 4.7.3
netbox-build: debian-deps ## build the real NetBox $(NETBOX_VERSION) into the cache (root)
	test/netbox-real/netbox.sh build $(NETBOX_VERSION)

netbox: debian-deps npm-deps ## start a real NetBox on 127.0.0.1 and print its URL, tokens and admin login (root)
	@$(BUN) test/netbox-real/main.ts start $(NETBOX_VERSION)

netbox-stop: npm-deps ## stop every real NetBox that make netbox started
	@$(BUN) test/netbox-real/main.ts stop $(NETBOX_VERSION)

sim: npm-deps ## a NetBox simulator on port 8765 (FLAVOUR=3.7|4.1|4.6)
	$(BUN) run sim -- --port 8765 --flavour $(or $(FLAVOUR),4.6)

generate: npm-deps ## regenerate ahead-of-time code (the hook config validator)
	$(BUN) hook/generate-config-validator.ts

docs: npm-deps ## regenerate diagrams and generated tables in docs/ and README.md from the code (SVG when graphviz is installed)
	$(BUN) docs/generate.ts
	$(BUN) hook/main.ts fsm --dot > docs/dhcp-hook2-flow.dot
	$(BUN) agent/flow-dot.ts > docs/phase1-flow.dot
	$(BUN) docs/lifecycle.ts > docs/lifecycle.dot
	@if command -v dot >/dev/null; then for f in dhcp-hook2-flow phase1-flow lifecycle; do dot -Tsvg docs/$$f.dot -o docs/$$f.svg; done; else echo "graphviz not installed: SVG not regenerated" >&2; fi

SYSCONFDIR ?= /etc
SYSTEMDDIR ?= /lib/systemd/system

SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d

# Units, the spool owner (sysusers) and the spool (tmpfiles); enabling them is the operator's step (docs/hook.md "Install").
install: build ## install binaries, AppArmor rule, example config, the drain's systemd units, spool user and spool under $(DESTDIR)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/bm-provision $(DESTDIR)$(SYSCONFDIR)/apparmor.d/dhcpd.d $(DESTDIR)$(SYSTEMDDIR) \
	  $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 dist/bm-hook dist/bm-agent dist/bm-harden $(DESTDIR)$(SBINDIR)/
	install -m 0644 hook/dist-files/apparmor-dhcpd.d-bm-hook $(DESTDIR)$(SYSCONFDIR)/apparmor.d/dhcpd.d/bm-hook
	install -m 0644 hook/dist-files/hook.json.example $(DESTDIR)$(SYSCONFDIR)/bm-provision/hook.json.example
	install -m 0644 hook/dist-files/bm-hook-drain.service hook/dist-files/bm-hook-drain.path hook/dist-files/bm-hook-drain.timer $(DESTDIR)$(SYSTEMDDIR)/
	install -m 0644 hook/dist-files/bm-hook.sysusers $(DESTDIR)$(SYSUSERSDIR)/bm-hook.conf
	install -m 0644 hook/dist-files/bm-hook.tmpfiles $(DESTDIR)$(TMPFILESDIR)/bm-hook.conf

clean: ## remove build and test output
	rm -rf dist .test-results
