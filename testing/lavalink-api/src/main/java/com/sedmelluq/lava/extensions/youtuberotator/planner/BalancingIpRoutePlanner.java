package com.sedmelluq.lava.extensions.youtuberotator.planner;

import com.sedmelluq.lava.extensions.youtuberotator.tools.ip.IpBlock;

/** The planner Lavalink builds for {@code ratelimit.strategy: LoadBalance}. */
public final class BalancingIpRoutePlanner extends AbstractRoutePlanner {
    public BalancingIpRoutePlanner(IpBlock ipBlock) {
        super(ipBlock);
    }
}
