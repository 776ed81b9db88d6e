/**
 * The part of lavaplayer's youtube-rotator extension (lavaplayer 2.2.x, {@code
 * lavaplayer-ext-youtube-rotator}) that lavametrics reads, modelled for the stand-in node: Maven
 * Central does not serve the extension, and a real Lavalink 4 node ships it. The plugin never
 * compiles against these types (it reads the planner by reflection, by these names and method
 * signatures); the stand-in runs them as its route planner so tests can ban addresses. Same
 * fully-qualified names and signatures as upstream for every member the plugin calls
 * ({@code getIpBlock}, {@code IpBlock.getSize}, {@code getFailingAddresses}); the rest is ours.
 */
package com.sedmelluq.lava.extensions.youtuberotator;
