/**
 * Hooks on the node's REST side: the {@code RestInterceptor} that times every handled call, and
 * the servlet filter that reads the two facts only bodies carry (a load's {@code loadType}, a
 * player PATCH's filters). Counts only into {@code collect}; a request always passes through.
 */
package dev.lavametrics.plugin.rest;
