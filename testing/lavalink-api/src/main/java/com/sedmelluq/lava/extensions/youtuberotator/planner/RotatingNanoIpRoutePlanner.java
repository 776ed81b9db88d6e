package com.sedmelluq.lava.extensions.youtuberotator.planner;

import com.sedmelluq.lava.extensions.youtuberotator.tools.ip.IpBlock;

/** The planner Lavalink builds for {@code ratelimit.strategy: RotatingNanoSwitch}. */
public final class RotatingNanoIpRoutePlanner extends AbstractRoutePlanner {
    public RotatingNanoIpRoutePlanner(IpBlock ipBlock) {
        super(ipBlock);
    }
}
