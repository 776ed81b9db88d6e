package com.sedmelluq.lava.extensions.youtuberotator.tools.ip;

import java.net.Inet4Address;

/** An IPv4 CIDR block such as {@code 127.0.0.0/30}: 2^(32 - prefix) addresses. */
public final class Ipv4Block extends CidrBlock {
    public Ipv4Block(String cidr) {
        super(cidr, Inet4Address.class, 32);
    }
}
