# Sourced, not run: the stand-in images that .ci/containers and stage9-scale-out/deploy/check-compose.sh use. No
# registry is reachable here, so the images the testkit and the deployment files pin (redis:7.0.15, zookeeper:3.9.3,
# eclipse-temurin:17-jre) are built locally from what this machine has; nothing is pulled.
# The caller sets: $work (a scratch folder), the array podman=(podman --root ... --runroot ...), and runs from the
# repository root (./mvnw fetches the ZooKeeper jars). build_images builds the three; a caller that needs more in
# them (a shell, redis-cli...) redefines image_extras ROOT after sourcing this file: it runs on each root file system
# just before it is imported.

image_extras() { :; }

# copy_with_libs FILE ROOT: FILE and every shared library ldd lists, at the same paths under ROOT.
copy_with_libs() {
  mkdir -p "$2$(dirname "$1")"
  cp -L "$1" "$2$1"
  ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$2$(dirname "$lib")"
    cp -Ln "$lib" "$2$lib" 2>/dev/null || true
  done
}

# copy_host_jdk ROOT: the host JDK at the same path under ROOT, with every shared library its binaries and .so files
# need, and /bin/sh. The ZooKeeper and the JRE image both run on it.
java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
copy_host_jdk() {
  mkdir -p "$1$java_home"
  cp -rL "$java_home"/. "$1$java_home"/ 2>/dev/null || true   # dangling links (src.zip) are skipped
  find "$1$java_home" -type f \( -name '*.so' -o -path '*/bin/*' \) | while read -r f; do
    copy_with_libs "${f#"$1"}" "$1"
  done
  copy_with_libs /bin/sh "$1"
}

build_redis_image() {
  echo "== image redis:7.0.15 (the host's redis-server)"
  command -v redis-server >/dev/null || { echo "redis-server is needed to build the Redis image" >&2; return 1; }
  local rootfs="$work/redis-rootfs"; rm -rf "$rootfs"; mkdir -p "$rootfs/tmp" "$rootfs/usr/local/bin"
  copy_with_libs "$(command -v redis-server)" "$rootfs"
  cp -L "$(command -v redis-server)" "$rootfs/usr/local/bin/redis-server"
  image_extras "$rootfs"
  tar -C "$rootfs" -c . | "${podman[@]}" import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'WORKDIR /tmp' --change 'EXPOSE 6379' --change 'CMD ["redis-server"]' - docker.io/library/redis:7.0.15 >/dev/null
}

build_zookeeper_image() {
  echo "== image zookeeper:3.9.3 (the host JDK + the ZooKeeper jars Maven fetched)"
  ./mvnw -B -q -ntp -pl embedded-infra dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$work/zk-lib" >/dev/null
  local rootfs="$work/zk-rootfs"; rm -rf "$rootfs"
  mkdir -p "$rootfs/zk/lib" "$rootfs/conf" "$rootfs/data" "$rootfs/tmp" "$rootfs/bin"
  cp "$work"/zk-lib/*.jar "$rootfs/zk/lib/"
  # A logging binding, so the server logs "binding to port", which the testkit waits for.
  ./mvnw -B -q -ntp dependency:copy -Dartifact=org.slf4j:slf4j-simple:2.0.20 -DoutputDirectory="$rootfs/zk/lib" >/dev/null
  copy_host_jdk "$rootfs"
  cat > "$rootfs/zk/start.sh" <<SH
#!/bin/sh
# What the official image's entrypoint does with the variables the testkit sets.
echo "\${ZOO_MY_ID:-1}" > /data/myid
{
  echo "tickTime=2000"; echo "initLimit=10"; echo "syncLimit=5"; echo "dataDir=/data"; echo "clientPort=2181"
  echo "4lw.commands.whitelist=\${ZOO_4LW_COMMANDS_WHITELIST:-srvr}"; echo "admin.enableServer=false"
  echo "quorumListenOnAllIPs=true"
  for server in \${ZOO_SERVERS:-}; do echo "\$server"; done
} > /conf/zoo.cfg
exec $java_home/bin/java -Xmx256m -cp "/zk/lib/*" org.apache.zookeeper.server.quorum.QuorumPeerMain /conf/zoo.cfg
SH
  chmod +x "$rootfs/zk/start.sh"
  image_extras "$rootfs"
  tar -C "$rootfs" -c . | "${podman[@]}" import --change 'EXPOSE 2181' --change 'CMD ["/bin/sh", "/zk/start.sh"]' \
    - docker.io/library/zookeeper:3.9.3 >/dev/null
}

build_jre_image() {
  echo "== image eclipse-temurin:17-jre (the host JDK, where the official image keeps its JRE)"
  # The stages target Java 17 (maven.compiler.release): an image tagged 17 must hold a Java 17.
  "$java_home/bin/java" -version 2>&1 | grep -q 'version "17\.' \
    || { echo "the host JDK ($java_home) is not Java 17; cannot stand in for eclipse-temurin:17-jre" >&2; return 1; }
  local rootfs="$work/jre-rootfs"; rm -rf "$rootfs"; mkdir -p "$rootfs/tmp" "$rootfs/opt/java"
  copy_host_jdk "$rootfs"
  ln -s "$java_home" "$rootfs/opt/java/openjdk"
  image_extras "$rootfs"
  tar -C "$rootfs" -c . | "${podman[@]}" import --change 'ENV JAVA_HOME=/opt/java/openjdk' \
    --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/bin:/usr/bin:/bin' --change 'WORKDIR /tmp' \
    --change 'CMD ["java", "-version"]' - docker.io/library/eclipse-temurin:17-jre >/dev/null
}

# Call it as a plain command under set -e (not in an && list or an if), so that any failing step stops the caller.
build_images() {
  build_redis_image
  build_zookeeper_image
  build_jre_image
}
