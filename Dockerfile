# The hub, as run by docker-compose.yml (two instances on MongoDB). Runs the TypeScript sources with tsx (a runtime dependency).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 HUB_DATA_DIR=/data
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: `prepare` (the GraphiQL bundle) needs the sources, built below.
RUN npm ci --omit=dev --ignore-scripts --loglevel=warn
COPY schema ./schema
COPY resolvers ./resolvers
COPY src ./src
COPY tsconfig.json ./
COPY scripts ./scripts
RUN node --import tsx scripts/build-graphiql.ts
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "--import", "tsx", "src/bin/hub.ts", "serve"]
