package dev.lavametrics.testplugin;

import dev.arbjerg.lavalink.api.ISocketServer;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.LinkedHashMap;
import java.util.Map;

@RestController
public class TestPluginController {
    private final TestPluginConfig config;
    private final TestPluginHandler handler;
    private final TestPluginApmConfig apm;
    private final ISocketServer socketServer;
    private final TestPluginFilter filter;

    public TestPluginController(TestPluginConfig config, TestPluginHandler handler, TestPluginApmConfig apm,
                                ISocketServer socketServer, TestPluginFilter filter) {
        this.filter = filter;
        this.config = config;
        this.handler = handler;
        this.apm = apm;
        this.socketServer = socketServer;
    }

    @GetMapping("/testplugin/state")
    public Map<String, Object> state() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("greeting", config.getGreeting());
        out.put("number", config.getNumber());
        out.put("apmApplied", apm.applied);
        out.put("opens", handler.opens.get());
        out.put("newPlayers", handler.newPlayers.get());
        out.put("messagesOut", handler.messagesOut.get());
        out.put("destroyed", handler.destroyed.get());
        out.put("lifecycle", handler.lifecycle);
        out.put("sessions", socketServer.getSessions().size());
        out.put("classLoader", getClass().getClassLoader().getName());
        Map<String, Integer> statuses = new LinkedHashMap<>();
        filter.statuses.forEach((status, n) -> statuses.put(String.valueOf(status), n.get()));
        out.put("filterStatuses", statuses);
        return out;
    }
}
