package dev.automesh.wg;

/** Which WireGuard implementation to drive: AUTO uses userspace when its UAPI socket exists, else the kernel. */
public enum Backend { AUTO, KERNEL, USERSPACE }
