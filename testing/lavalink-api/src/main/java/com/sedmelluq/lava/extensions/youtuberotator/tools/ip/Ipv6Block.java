package com.sedmelluq.lava.extensions.youtuberotator.tools.ip;

import java.math.BigInteger;

/** An IPv6 CIDR block such as {@code ::1/126}: 2^(128 - prefix) addresses. */
public final class Ipv6Block extends IpBlock {
    private final BigInteger size;

    public Ipv6Block(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a CIDR block: " + cidr);
        }
        int prefix = Integer.parseInt(cidr.substring(slash + 1));
        if (prefix < 0 || prefix > 128) {
            throw new IllegalArgumentException("IPv6 prefix out of range: " + cidr);
        }
        this.size = BigInteger.ONE.shiftLeft(128 - prefix);
    }

    @Override
    public BigInteger getSize() {
        return size;
    }
}
