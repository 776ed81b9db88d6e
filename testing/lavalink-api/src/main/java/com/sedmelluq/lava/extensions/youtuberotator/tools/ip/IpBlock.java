package com.sedmelluq.lava.extensions.youtuberotator.tools.ip;

import java.math.BigInteger;

/** A block of local addresses a route planner picks from. */
public abstract class IpBlock {
    /** How many addresses the block holds. */
    public abstract BigInteger getSize();
}
