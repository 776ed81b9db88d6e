package com.sedmelluq.lava.extensions.youtuberotator.tools.ip;

import java.math.BigInteger;
import java.net.InetAddress;

/** A block of local addresses a route planner picks from. */
public abstract class IpBlock {
    /** How many addresses the block holds. */
    public abstract BigInteger getSize();

    /** The block's {@code index}-th address (0 is its first). */
    public abstract InetAddress getAddressAtIndex(long index);
}
