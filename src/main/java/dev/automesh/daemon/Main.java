package dev.automesh.daemon;

public final class Main {
    public static void main(String[] args) {
        System.out.println("usage: automesh [run] config.toml");
    }
}
