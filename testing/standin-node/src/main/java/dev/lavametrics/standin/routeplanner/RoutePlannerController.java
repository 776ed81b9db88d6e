package dev.lavametrics.standin.routeplanner;

import com.fasterxml.jackson.databind.JsonNode;
import com.sedmelluq.lava.extensions.youtuberotator.planner.AbstractRoutePlanner;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * Lavalink's route planner routes ({@code /v4/routeplanner/status}, {@code free/address},
 * {@code free/all}; RoutePlannerRestHandler.kt), and one route of the stand-in's own:
 * {@code POST /standin/routeplanner/fail {"count": n}} marks the block's first n addresses failing, as
 * the rotator does when a source answers 429 through them. The failing map is a plain HashMap (as in
 * lavaplayer): the stand-in's writers and this status reader hold the planner's lock; the plugin
 * never does, and reads only its size.
 */
@RestController
public class RoutePlannerController {
    private final ObjectProvider<AbstractRoutePlanner> planner;

    public RoutePlannerController(ObjectProvider<AbstractRoutePlanner> planner) {
        this.planner = planner;
    }

    private AbstractRoutePlanner required() {
        AbstractRoutePlanner found = planner.getIfAvailable();
        if (found == null) {
            throw new ResponseStatusException(HttpStatus.INTERNAL_SERVER_ERROR, "Can't access disabled route planner");
        }
        return found;
    }

    @GetMapping(value = "/v4/routeplanner/status", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> status() {
        AbstractRoutePlanner found = planner.getIfAvailable();
        if (found == null) {
            return ResponseEntity.noContent().build();
        }
        List<Map<String, Object>> failing = new ArrayList<>();
        synchronized (found) {
            for (Map.Entry<String, Long> entry : found.getFailingAddresses().entrySet()) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("failingAddress", entry.getKey());
                one.put("failingTimestamp", entry.getValue());
                one.put("failingTime", new java.util.Date(entry.getValue()).toString());
                failing.add(one);
            }
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put(
                "ipBlock",
                Map.of(
                        "type",
                        found.getIpBlock() instanceof com.sedmelluq.lava.extensions.youtuberotator.tools.ip.Ipv4Block
                                ? "Inet4Address"
                                : "Inet6Address",
                        "size",
                        found.getIpBlock().getSize().toString()));
        details.put("failingAddresses", failing);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("class", found.getClass().getSimpleName());
        body.put("details", details);
        return ResponseEntity.ok(body);
    }

    @PostMapping("/v4/routeplanner/free/address")
    public ResponseEntity<Void> freeAddress(@RequestBody JsonNode body) {
        AbstractRoutePlanner found = required();
        try {
            InetAddress address = InetAddress.getByName(body.path("address").asText());
            synchronized (found) {
                found.freeAddress(address);
            }
        } catch (UnknownHostException e) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "Invalid address: " + e.getMessage(), e);
        }
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/v4/routeplanner/free/all")
    public ResponseEntity<Void> freeAll() {
        AbstractRoutePlanner found = required();
        synchronized (found) {
            found.freeAllAddresses();
        }
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/standin/routeplanner/fail")
    public ResponseEntity<Void> fail(@RequestBody JsonNode body) {
        AbstractRoutePlanner found = required();
        long count = body.path("count").asLong(-1);
        if (count < 0
                || java.math.BigInteger.valueOf(count)
                                .compareTo(found.getIpBlock().getSize())
                        > 0) {
            throw new ResponseStatusException(
                    HttpStatus.BAD_REQUEST,
                    "count: must be 0.." + found.getIpBlock().getSize());
        }
        synchronized (found) {
            for (long i = 0; i < count; i++) {
                found.markFailing(found.getIpBlock().getAddressAtIndex(i));
            }
        }
        return ResponseEntity.noContent().build();
    }
}
