package dev.arbjerg.lavalink.api;

import org.springframework.web.servlet.HandlerInterceptor;

/** A bean of this type sees every REST request the node handles. */
public interface RestInterceptor extends HandlerInterceptor {}
