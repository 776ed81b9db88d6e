package dev.lavametrics.plugin.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** An IPv4 or IPv6 network in CIDR notation; a bare address means that single host. */
public final class Cidr {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final byte[] network;
    private final int prefixLength;
    private final String text;

    private Cidr(byte[] network, int prefixLength, String text) {
        this.network = network;
        this.prefixLength = prefixLength;
        this.text = text;
    }

    /** Parses literal addresses only, so a typo never turns into a DNS lookup. */
    public static Cidr parse(String text) {
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        byte[] bytes = literalAddress(address);
        int maxPrefix = bytes.length * 8;
        int prefix = maxPrefix;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(trimmed.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in " + text);
            }
            if (prefix < 0 || prefix > maxPrefix) {
                throw new IllegalArgumentException("prefix length must be 0.." + maxPrefix + " in " + text);
            }
        }
        return new Cidr(bytes, prefix, trimmed);
    }

    private static byte[] literalAddress(String address) {
        boolean ipv4 = IPV4.matcher(address).matches();
        if (ipv4) {
            for (String part : address.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    throw new IllegalArgumentException("not an IP address: " + address);
                }
            }
        } else if (address.indexOf(':') < 0 || !address.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("not an IP address: " + address);
        }
        try {
            return InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + address);
        }
    }

    public boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
        if (candidate.length != network.length) {
            return false;
        }
        int fullBytes = prefixLength / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (candidate[i] != network[i]) {
                return false;
            }
        }
        int remainingBits = prefixLength % 8;
        if (remainingBits == 0) {
            return true;
        }
        int mask = (0xFF << (8 - remainingBits)) & 0xFF;
        return (candidate[fullBytes] & mask) == (network[fullBytes] & mask);
    }

    @Override
    public String toString() {
        return text;
    }
}
