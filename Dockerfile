# The hub, as run by docker-compose.yml (two instances on MongoDB): the compiled build (`npm run build`)
# on Node 24 LTS, the newest Node the CI runs the suite on.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` (the GraphiQL bundle) needs the sources, built below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY schema ./schema
COPY vendor ./vendor
COPY resolvers ./resolvers
COPY src ./src
RUN npm run build \
 && node -e "import('./dist/src/graphiql/graphiql-bundle.js').then((m) => m.ensureGraphiqlBundle())"

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 HUB_DATA_DIR=/data
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
# The GraphiQL bundle, and the sources its freshness stamp is computed from.
COPY --from=build /app/node_modules/.cache/hub-graphiql ./node_modules/.cache/hub-graphiql
COPY src/graphiql ./src/graphiql
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/bin/hub.js", "serve"]
