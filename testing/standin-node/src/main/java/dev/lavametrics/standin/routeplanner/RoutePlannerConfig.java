package dev.lavametrics.standin.routeplanner;

import com.sedmelluq.lava.extensions.youtuberotator.planner.AbstractRoutePlanner;
import com.sedmelluq.lava.extensions.youtuberotator.planner.BalancingIpRoutePlanner;
import com.sedmelluq.lava.extensions.youtuberotator.planner.RotatingIpRoutePlanner;
import com.sedmelluq.lava.extensions.youtuberotator.planner.RotatingNanoIpRoutePlanner;
import com.sedmelluq.lava.extensions.youtuberotator.tools.ip.IpBlock;
import com.sedmelluq.lava.extensions.youtuberotator.tools.ip.Ipv4Block;
import com.sedmelluq.lava.extensions.youtuberotator.tools.ip.Ipv6Block;
import java.util.List;
import java.util.Locale;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The route planner, as Lavalink 4.2.2 builds it (AudioPlayerConfiguration.kt, {@code routePlanner}):
 * a bean of type {@code AbstractRoutePlanner} named {@code routePlanner}, null without
 * {@code lavalink.server.ratelimit.ipBlocks}. The stand-in models one block (IPv4 or IPv6) and the
 * strategies RotateOnBan (the default), RotatingNanoSwitch and LoadBalance; its planner routes no traffic (the stand-in's sources make no
 * requests a source could refuse), addresses are marked failing through {@link RoutePlannerController}.
 */
@Configuration(proxyBeanMethods = false)
public class RoutePlannerConfig {
    @Bean
    public AbstractRoutePlanner routePlanner(Environment env) {
        List<String> blocks = Binder.get(env)
                .bind("lavalink.server.ratelimit.ip-blocks", Bindable.listOf(String.class))
                .orElse(List.of());
        if (blocks.isEmpty()) {
            return null;
        }
        if (blocks.size() > 1) {
            throw new IllegalArgumentException(
                    "lavalink.server.ratelimit.ipBlocks: the stand-in models one block, got " + blocks.size());
        }
        String cidr = blocks.get(0);
        IpBlock block = cidr.contains(":") ? new Ipv6Block(cidr) : new Ipv4Block(cidr);
        String strategy = Binder.get(env)
                .bind("lavalink.server.ratelimit.strategy", String.class)
                .orElse("RotateOnBan");
        return switch (strategy.toLowerCase(Locale.ROOT).trim()) {
            case "rotateonban" -> new RotatingIpRoutePlanner(block);
            case "rotatingnanoswitch" -> new RotatingNanoIpRoutePlanner(block);
            case "loadbalance" -> new BalancingIpRoutePlanner(block);
            default ->
                throw new IllegalArgumentException(
                        "lavalink.server.ratelimit.strategy: the stand-in models RotateOnBan, RotatingNanoSwitch and LoadBalance, got "
                                + strategy);
        };
    }
}
