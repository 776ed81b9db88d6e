package dev.lavametrics.plugin.config;

import java.net.InetAddress;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 network in CIDR notation; a bare address means that single host.
 *
 * <p>The grammar is spelled out here instead of being left to {@link InetAddress} or Python's
 * {@code ipaddress}, which disagree on the edges (the Python CLI has no grammar of its own: it
 * runs {@link ConfigValidator}). Decisions: literal addresses only, so a typo never turns into a DNS lookup; host
 * bits may be set ({@code 10.0.0.1/8} means {@code 10.0.0.0/8}); no leading zeros in IPv4
 * ({@code 010} reads as octal to some tools); the prefix is a length, not a netmask
 * ({@code /255.0.0.0} is refused: one notation); zone ids ({@code %eth0}) are refused, a client
 * network has no interface; IPv4-mapped IPv6 networks ({@code ::ffff:10.0.0.0/104}) are refused
 * because Java reports an IPv4 client on a dual-stack socket as an IPv4 address, which such a
 * rule would never match: write the IPv4 network.
 */
public final class Cidr {
    private static final Pattern IPV4 = Pattern.compile("(0|[1-9][0-9]{0,2})(\\.(0|[1-9][0-9]{0,2})){3}");
    private static final Pattern HEX_GROUP = Pattern.compile("[0-9A-Fa-f]{1,4}");
    private static final Pattern PREFIX = Pattern.compile("[0-9]{1,3}");

    private final byte[] network;
    private final int prefixLength;
    private final String text;

    private Cidr(byte[] network, int prefixLength, String text) {
        this.network = network;
        this.prefixLength = prefixLength;
        this.text = text;
    }

    /** Throws {@link IllegalArgumentException} whose message is the one-line reason. */
    public static Cidr parse(String text) {
        String trimmed = text.trim();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        if (address.indexOf(':') >= 0 && address.indexOf('%') >= 0) {
            throw new IllegalArgumentException("zone ids (%...) are not allowed in a network");
        }
        byte[] bytes = address.indexOf(':') >= 0 ? ipv6(address) : ipv4(address);
        if (bytes == null) {
            throw new IllegalArgumentException("not an IP address");
        }
        if (ipv4Mapped(bytes)) {
            throw new IllegalArgumentException("IPv4-mapped IPv6 address: write the IPv4 network instead");
        }
        int maxPrefix = bytes.length * 8;
        int prefix = maxPrefix;
        if (slash >= 0) {
            String digits = trimmed.substring(slash + 1);
            prefix = PREFIX.matcher(digits).matches() ? Integer.parseInt(digits) : -1;
            if (prefix < 0 || prefix > maxPrefix) {
                throw new IllegalArgumentException("prefix length must be a number 0.." + maxPrefix);
            }
        }
        return new Cidr(bytes, prefix, trimmed);
    }

    private static byte[] ipv4(String address) {
        if (!IPV4.matcher(address).matches()) {
            return null;
        }
        String[] parts = address.split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            int part = Integer.parseInt(parts[i]);
            if (part > 255) {
                return null;
            }
            bytes[i] = (byte) part;
        }
        return bytes;
    }

    private static byte[] ipv6(String address) {
        String groupsText = address;
        byte[] dottedTail = null;
        int lastColon = address.lastIndexOf(':');
        if (address.indexOf('.', lastColon) > 0) {
            // an embedded IPv4 tail (::1.2.3.4) stands for the last two groups
            dottedTail = ipv4(address.substring(lastColon + 1));
            if (dottedTail == null) {
                return null;
            }
            groupsText = address.substring(0, lastColon + 1) + "0:0";
        }
        int gap = groupsText.indexOf("::");
        if (gap >= 0 && groupsText.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        String[] head = groups(gap < 0 ? groupsText : groupsText.substring(0, gap));
        String[] tail = gap < 0 ? new String[0] : groups(groupsText.substring(gap + 2));
        if (head == null || tail == null) {
            return null;
        }
        int count = head.length + tail.length;
        if (gap < 0 ? count != 8 : count > 7) {
            return null;
        }
        byte[] bytes = new byte[16];
        for (int i = 0; i < head.length; i++) {
            putGroup(bytes, i, head[i]);
        }
        for (int i = 0; i < tail.length; i++) {
            putGroup(bytes, 8 - tail.length + i, tail[i]);
        }
        if (dottedTail != null) {
            System.arraycopy(dottedTail, 0, bytes, 12, 4);
        }
        return bytes;
    }

    /** Colon-separated hex groups; empty text is no groups; null when any group is malformed. */
    private static String[] groups(String text) {
        if (text.isEmpty()) {
            return new String[0];
        }
        String[] groups = text.split(":", -1);
        for (String group : groups) {
            if (!HEX_GROUP.matcher(group).matches()) {
                return null;
            }
        }
        return groups;
    }

    private static void putGroup(byte[] bytes, int index, String group) {
        int value = Integer.parseInt(group, 16);
        bytes[2 * index] = (byte) (value >> 8);
        bytes[2 * index + 1] = (byte) value;
    }

    private static boolean ipv4Mapped(byte[] bytes) {
        if (bytes.length != 16) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xFF && bytes[11] == (byte) 0xFF;
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
