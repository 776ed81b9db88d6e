package com.sedmelluq.lava.extensions.youtuberotator.tools.ip;

import java.net.Inet6Address;

/** An IPv6 CIDR block such as {@code fd00::/126}: 2^(128 - prefix) addresses. */
public final class Ipv6Block extends CidrBlock {
    public Ipv6Block(String cidr) {
        super(cidr, Inet6Address.class, 128);
    }
}
