# One image for every Hoist process; docker-compose.yml picks the command per service.
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN npm install -g pnpm@12.21.0
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
# Temp storage and emulator data live on volumes; create the mount points owned by the runtime user
# so named volumes start out writable.
RUN mkdir -p /data/uploads /data/emulator && chown -R node:node /data
USER node
EXPOSE 3000 9400
CMD ["node", "apps/api/dist/main.js"]
