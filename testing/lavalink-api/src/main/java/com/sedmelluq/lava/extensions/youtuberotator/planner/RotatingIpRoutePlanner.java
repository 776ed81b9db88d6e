package com.sedmelluq.lava.extensions.youtuberotator.planner;

import com.sedmelluq.lava.extensions.youtuberotator.tools.ip.IpBlock;

/** The planner Lavalink builds for {@code ratelimit.strategy: RotateOnBan} (its default). */
public final class RotatingIpRoutePlanner extends AbstractRoutePlanner {
    public RotatingIpRoutePlanner(IpBlock ipBlock) {
        super(ipBlock);
    }
}
