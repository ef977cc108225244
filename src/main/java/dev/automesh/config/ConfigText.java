package dev.automesh.config;

import dev.automesh.config.ConfigException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The config file as text, read and bounded before any TOML parsing: capped in bytes, strict UTF-8,
 * a leading byte order mark dropped (Windows editors write one; wgautomesh accepts it).
 */
final class ConfigText {
    private ConfigText() {}

    /** Larger than any sane config; stops `automesh check /dev/zero` from eating memory. */
    static final int MAX_CONFIG_BYTES = 1 << 20;
    private static final char BOM = '\ufeff';

    static String read(Path file, String name) throws ConfigException {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                throw new ConfigException(Reason.UNREADABLE, name, 0, 0, "", "is a directory, not a config file");
            }
            bytes = readCapped(file, MAX_CONFIG_BYTES);
        } catch (IOException e) {
            throw new ConfigException(Reason.UNREADABLE, name, 0, 0, "", "cannot read the config file: " + describe(e));
        }
        if (bytes == null) {
            throw new ConfigException(Reason.TOO_LARGE, name, 0, 0, "", "is larger than " + MAX_CONFIG_BYTES
                    + " bytes; is this really the config file?");
        }
        String text;
        try {
            text = strictUtf8(bytes);
        } catch (CharacterCodingException e) {
            int[] lc = firstBadUtf8(bytes);
            throw new ConfigException(Reason.SYNTAX, name, lc[0], lc[1], "", "is not valid UTF-8 (TOML files must be UTF-8)");
        }
        return !text.isEmpty() && text.charAt(0) == BOM ? text.substring(1) : text;
    }

    static String describe(IOException e) {
        return switch (e.getClass().getSimpleName()) {
            case "NoSuchFileException" -> "no such file";
            case "AccessDeniedException" -> "permission denied";
            case "NotDirectoryException" -> "a parent is not a directory";
            default -> e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        };
    }

    /** Reads up to {@code cap} bytes; null if the file is larger. */
    static byte[] readCapped(Path p, int cap) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] b = in.readNBytes(cap + 1);
            return b.length > cap ? null : b;
        }
    }

    static String strictUtf8(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes)).toString();
    }

    /** Line and column (in characters) of the first byte that is not valid UTF-8. */
    private static int[] firstBadUtf8(byte[] b) {
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer out = CharBuffer.allocate(b.length);
        StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(in, out, true);
        int bad = in.position();
        out.flip();
        String before = out.toString();
        int nl = before.lastIndexOf('\n');
        int line = (int) before.chars().filter(c -> c == '\n').count() + 1;
        int column = before.codePointCount(nl + 1, before.length()) + 1;
        return bad >= b.length ? new int[] {0, 0} : new int[] {line, column};
    }
}
