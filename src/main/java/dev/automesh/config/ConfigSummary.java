package dev.automesh.config;

/** The one-screen summary printed by `automesh check config.toml`. Owner: config. */
public final class ConfigSummary {
    private ConfigSummary() {}

    public static String render(Config config) {
        throw new UnsupportedOperationException("ConfigSummary.render: not implemented yet");
    }
}
