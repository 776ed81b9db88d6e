package com.sedmelluq.lava.extensions.youtuberotator.planner;

import com.sedmelluq.lava.extensions.youtuberotator.tools.ip.IpBlock;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * A route planner: the IP block it rotates through and the addresses marked failing (banned), keyed
 * by {@code InetAddress.toString()} with the time they were marked. Like upstream, the map is a plain
 * {@code HashMap} written without a lock, so readers must not iterate it while others write.
 */
public abstract class AbstractRoutePlanner {
    protected final IpBlock ipBlock;
    protected final Map<String, Long> failingAddresses = new HashMap<>();

    protected AbstractRoutePlanner(IpBlock ipBlock) {
        this.ipBlock = ipBlock;
    }

    public IpBlock getIpBlock() {
        return ipBlock;
    }

    public Map<String, Long> getFailingAddresses() {
        return failingAddresses;
    }

    /** What the rotator does when a request through {@code address} is refused (HTTP 429). */
    public final void markFailing(InetAddress address) {
        failingAddresses.put(address.toString(), System.currentTimeMillis());
    }

    public final void freeAddress(InetAddress address) {
        failingAddresses.remove(address.toString());
    }

    public final void freeAllAddresses() {
        failingAddresses.clear();
    }
}
