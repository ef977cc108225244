package dev.automesh.testbed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway QEMU (TCG) guest that runs one shell command on this machine's own filesystem with the
 * Debian 6.12 kernel, whose WireGuard module the host kernel lacks. The host's / is mounted
 * read-only over 9p under a tmpfs overlay (the guest may write anywhere, nothing reaches the host),
 * the project directory read-write, and an exchange directory carries the command in and the exit
 * status out. A watchdog ends qemu on timeout, and qemu is ended on any failure or interrupt.
 * Recipe and timings: shared/testbed-notes.md.
 */
public final class QemuGuest {
    /** Modules needed before the root is mounted (virtio_pci and virtio_console are built in). */
    private static final List<String> EARLY_MODULES = List.of("9pnet_virtio", "9p", "overlay");
    private static final String EXCHANGE_MOUNT = "/run/qemu-exchange";

    public record Result(int exit, String output, String kernelLog, Duration wall) {
        public boolean ok() {
            return exit == 0;
        }
    }

    private final Path kernel;
    private final Path initramfs;
    private final Path workDir;

    private QemuGuest(Path kernel, Path initramfs, Path workDir) {
        this.kernel = kernel;
        this.initramfs = initramfs;
        this.workDir = workDir;
    }

    /** The Debian (non-rt) 6.12 kernel in /boot, if installed. */
    public static Optional<Path> findKernel() {
        try (Stream<Path> s = Files.list(Path.of("/boot"))) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith("vmlinuz-6.12") && n.endsWith("-amd64") && !n.contains("-rt-") && !n.contains("cloud");
            }).max(Comparator.naturalOrder());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public static String kernelVersion(Path vmlinuz) {
        return vmlinuz.getFileName().toString().substring("vmlinuz-".length());
    }

    /**
     * Prepares (or reuses, keyed by kernel version) the uncompressed kernel and the initramfs under
     * {@code workDir} (e.g. target/qemu).
     */
    public static QemuGuest prepare(Path workDir) throws IOException {
        Path vmlinuz = findKernel().orElseThrow(() -> new IOException("no /boot/vmlinuz-6.12*-amd64"));
        String ver = kernelVersion(vmlinuz);
        Files.createDirectories(workDir);
        Path kernel = extractVmlinux(vmlinuz, workDir.resolve("vmlinux-" + ver)).orElse(vmlinuz);
        // Keyed by the init script too: a changed script must not boot a stale cached initramfs.
        Path initramfs = workDir.resolve("initramfs-" + ver + "-" + Integer.toHexString(initScript("").hashCode()) + ".cpio");
        if (!Files.exists(initramfs)) buildInitramfs(ver, workDir, initramfs);
        return new QemuGuest(kernel, initramfs, workDir);
    }

    /**
     * The kernel's extract-vmlinux method for a zstd-compressed bzImage: find the zstd frame and
     * decompress it; booting the ELF directly saves the in-guest decompression (~1 s under TCG).
     */
    private static Optional<Path> extractVmlinux(Path vmlinuz, Path out) throws IOException {
        if (Files.exists(out)) return Optional.of(out);
        byte[] img = Files.readAllBytes(vmlinuz);
        byte[] magic = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd};
        for (int i = 0; i + 4 <= img.length; i++) {
            if (img[i] == magic[0] && img[i + 1] == magic[1] && img[i + 2] == magic[2] && img[i + 3] == magic[3]) {
                Path tmp = Files.createTempFile(out.getParent(), "vmlinux", ".tmp");
                Process p = new ProcessBuilder("zstd", "-dcq").redirectOutput(tmp.toFile())
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                try (OutputStream os = p.getOutputStream()) {
                    os.write(img, i, img.length - i);
                } catch (IOException trailingGarbageClosedPipe) {
                    // zstd stops reading at the end of the frame
                }
                waitFor(p, 60);
                byte[] head = new byte[4];
                try (InputStream in = Files.newInputStream(tmp)) {
                    if (in.read(head) == 4 && head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F') {
                        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
                        return Optional.of(out);
                    }
                }
                Files.deleteIfExists(tmp);
            }
        }
        return Optional.empty(); // not zstd: boot the bzImage as it is
    }

    /** Static busybox + the early modules with their dependencies (from modules.dep), decompressed. */
    private static void buildInitramfs(String ver, Path workDir, Path out) throws IOException {
        Path modDir = Path.of("/lib/modules", ver);
        Map<String, List<String>> deps = new TreeMap<>();
        for (String line : Files.readAllLines(modDir.resolve("modules.dep"))) {
            int c = line.indexOf(':');
            if (c < 0) continue;
            String rest = line.substring(c + 1).trim();
            deps.put(line.substring(0, c), rest.isEmpty() ? List.of() : List.of(rest.split("\\s+")));
        }
        Set<String> order = new LinkedHashSet<>();
        for (String m : EARLY_MODULES) {
            String path = deps.keySet().stream().filter(k -> moduleName(k).equals(m)).findFirst()
                    .orElseThrow(() -> new IOException("module " + m + " not in " + modDir + "/modules.dep"));
            addWithDeps(path, deps, order);
        }
        Path stage = Files.createTempDirectory(workDir, "initramfs");
        try {
            for (String d : List.of("bin", "lib", "proc", "sys", "dev", "ro", "rw", "newroot")) {
                Files.createDirectories(stage.resolve(d));
            }
            Files.copy(Path.of("/bin/busybox"), stage.resolve("bin/busybox"));
            StringBuilder load = new StringBuilder();
            for (String m : order) {
                String name = moduleName(m) + ".ko";
                Path src = modDir.resolve(m);
                List<String> cmd = m.endsWith(".xz") ? List.of("xz", "-dc", src.toString())
                        : m.endsWith(".zst") ? List.of("zstd", "-dcq", src.toString())
                        : m.endsWith(".gz") ? List.of("gzip", "-dc", src.toString()) : List.of("cat", src.toString());
                Process p = new ProcessBuilder(cmd).redirectOutput(stage.resolve("lib/" + name).toFile()).start();
                if (waitFor(p, 60) != 0) throw new IOException("cannot decompress " + src);
                load.append("insmod /lib/").append(name).append(" || fail insmod ").append(name).append('\n');
            }
            Files.writeString(stage.resolve("init"), initScript(load.toString()), StandardCharsets.UTF_8);
            stage.resolve("init").toFile().setExecutable(true);
            Path tmp = Files.createTempFile(workDir, "initramfs", ".cpio");
            Process p = new ProcessBuilder("sh", "-c", "find . | LC_ALL=C sort | cpio -o -H newc --quiet")
                    .directory(stage.toFile()).redirectOutput(tmp.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            if (waitFor(p, 60) != 0) throw new IOException("cpio failed building " + out);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Sh.run(List.of("rm", "-rf", stage.toString()));
        }
    }

    private static String moduleName(String path) {
        String n = path.substring(path.lastIndexOf('/') + 1);
        return n.substring(0, n.indexOf(".ko")).replace('-', '_');
    }

    private static void addWithDeps(String path, Map<String, List<String>> deps, Set<String> order) {
        if (order.contains(path)) return;
        List<String> ds = deps.getOrDefault(path, List.of());
        for (int i = ds.size() - 1; i >= 0; i--) addWithDeps(ds.get(i), deps, order); // deepest first
        order.add(path);
    }

    private static String initScript(String insmods) {
        return """
                #!/bin/busybox sh
                /bin/busybox --install -s /bin
                export PATH=/bin
                fail() { echo "guest init failed: $*" > /dev/hvc0; echo "guest init failed: $*" > /dev/kmsg; poweroff -f; }
                mount -t proc proc /proc
                mount -t sysfs sys /sys
                mount -t devtmpfs dev /dev
                %s
                OPT=trans=virtio,version=9p2000.L,msize=262144
                mount -t 9p -o $OPT,ro,cache=loose hostroot /ro || fail mount hostroot
                mount -t tmpfs -o size=512m tmp /rw
                mkdir -p /rw/upper /rw/work
                mount -t overlay -o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work overlay /newroot || fail overlay
                P=$(sed -n 's/.*qemuguest.project=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
                # The fresh /tmp and /run first: a project checked out under either must not be hidden.
                mount -t tmpfs tmpfs /newroot/tmp
                mount -t tmpfs tmpfs /newroot/run
                mkdir -p /newroot$P
                # cache=loose: the host does not touch the project while the guest runs, and uncached
                # 9p lookups (every class-path miss) cost milliseconds each under TCG.
                mount -t 9p -o $OPT,cache=loose project /newroot$P || fail mount project
                mount -t proc proc /newroot/proc
                mount -t sysfs sys /newroot/sys
                mount -t devtmpfs dev /newroot/dev
                mkdir -p /newroot/dev/pts /newroot/dev/shm
                mount -t devpts devpts /newroot/dev/pts
                mount -t tmpfs tmpfs /newroot/dev/shm
                mkdir -p /newroot%2$s /newroot/run/netns
                mount -t 9p -o $OPT exchange /newroot%2$s || fail mount exchange
                exec 3<>/dev/hvc0   # held open so the raw mode (no \\n -> \\r\\n) is kept
                stty raw -echo -opost <&3
                chroot /newroot /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
                    HOME=/root LANG=C.UTF-8 QEMU_GUEST=1 /bin/sh -c 'cd "$0" && /bin/sh %2$s/cmd.sh; echo $? > %2$s/status' "$P" \\
                    < /dev/null >&3 2>&3
                sync
                poweroff -f
                """.formatted(insmods, EXCHANGE_MOUNT);
    }

    /**
     * Boots, runs {@code script} (POSIX sh, cwd = {@code projectDir}) and powers off. The script's exit
     * status is the result's; -1 when the guest never reported one (crash or watchdog).
     */
    /**
     * A class path for a guest JVM: jars first, directories last. Each class lookup tries the entries
     * in order, and a miss in a directory is a 9p round trip while a miss in an open jar is free.
     */
    public static String guestClassPath(String hostClassPath) {
        List<String> jars = new ArrayList<>(), dirs = new ArrayList<>();
        for (String e : hostClassPath.split(java.io.File.pathSeparator)) {
            if (e.isEmpty()) continue;
            (e.endsWith(".jar") ? jars : dirs).add(e);
        }
        jars.addAll(dirs);
        return String.join(java.io.File.pathSeparator, jars);
    }

    public Result run(Path projectDir, String script, Duration timeout) throws IOException, InterruptedException {
        Path exchange = Files.createTempDirectory(workDir, "run");
        Path console = exchange.resolve("console.out");
        Path klog = exchange.resolve("kernel.log");
        Files.writeString(exchange.resolve("cmd.sh"), script);
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64", "-nodefaults", "-nic", "none",
                "-machine", "q35", "-accel", "tcg,thread=multi", "-cpu", "max", "-m", "1G", "-smp", "2",
                "-no-reboot", "-display", "none", "-kernel", kernel.toString(), "-initrd", initramfs.toString(),
                "-append", "console=ttyS0 quiet panic=-1 qemuguest.project=" + projectDir.toAbsolutePath(),
                "-serial", "file:" + klog,
                "-device", "virtio-serial-pci", "-chardev", "file,id=out,path=" + console,
                "-device", "virtconsole,chardev=out"));
        share(cmd, "hostroot", Path.of("/"), true);
        share(cmd, "project", projectDir.toAbsolutePath(), false);
        share(cmd, "exchange", exchange, false);
        long start = System.nanoTime();
        Process qemu = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(exchange.resolve("qemu.out").toFile()).start();
        Thread hook = new Thread(qemu::destroyForcibly, "qemu-guest-reaper");
        Runtime.getRuntime().addShutdownHook(hook);
        boolean finished = false;
        try {
            finished = qemu.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            if (!finished) {
                qemu.destroyForcibly();
                qemu.waitFor(10, TimeUnit.SECONDS);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        String out = readOr(console) + (finished ? "" : "\n[watchdog: qemu killed after " + timeout.toSeconds() + " s]\n");
        String kl = readOr(klog) + readOr(exchange.resolve("qemu.out"));
        Path status = exchange.resolve("status");
        int exit = -1;
        if (Files.exists(status)) {
            try {
                exit = Integer.parseInt(Files.readString(status).trim());
            } catch (NumberFormatException e) {
                exit = -1;
            }
        }
        Sh.run(List.of("rm", "-rf", exchange.toString()));
        return new Result(exit, out, kl, wall);
    }

    private static void share(List<String> cmd, String tag, Path path, boolean readonly) {
        cmd.addAll(List.of("-fsdev", "local,id=" + tag + ",path=" + path + ",security_model=none,multidevs=remap"
                        + (readonly ? ",readonly=on" : ""),
                "-device", "virtio-9p-pci,fsdev=" + tag + ",mount_tag=" + tag));
    }

    private static String readOr(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static int waitFor(Process p, long seconds) throws IOException {
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + p.info().commandLine().orElse("?"));
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
